//! What a client may be told about a refused value or a refused action.
//!
//! The `Display` of a domain error is written for the log: it may quote the offending value
//! (a name, an amount) to help whoever reads it. [`ClientMessage`] is the text for the player:
//! it says what the rule expects, built from the rule's own constants, and never quotes the
//! value that was given, so adapters need no texts of their own that repeat the rules.

/// A domain error as a client may read it.
pub trait ClientMessage {
    /// For a value refused while parsing, what was expected, phrased to follow the field's
    /// name (`must be ...`); for a refused action, a sentence saying why. Never quotes the
    /// value that was given.
    fn client_message(&self) -> String;
}

/// `a, b, c` for a list of names.
pub(crate) fn joined<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    names.into_iter().collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]

    use super::*;
    use crate::competition::{NewShow, ShowDraft};
    use crate::horse::{HorseName, PurchaseAge, Sex};
    use crate::progression::Level;
    use crate::{Discipline, Stat};
    use chrono::{TimeDelta, TimeZone, Utc};

    const MARKER: &str = "ZQXJ";

    #[test]
    fn no_client_message_quotes_the_refused_value() {
        let text = |s: &str| format!("{MARKER}{s}");
        let messages = [
            HorseName::parse(&text("\u{7}"))
                .unwrap_err()
                .client_message(),
            HorseName::parse(&text(&"a".repeat(60)))
                .unwrap_err()
                .client_message(),
            Sex::parse(&text("")).unwrap_err().client_message(),
            Stat::parse(&text("")).unwrap_err().client_message(),
            Discipline::parse(&text("")).unwrap_err().client_message(),
            PurchaseAge::try_from(987_654_i64)
                .unwrap_err()
                .client_message(),
            Level::try_from(-987_654_i64).unwrap_err().client_message(),
        ];
        for message in messages {
            assert!(!message.contains(MARKER), "{message}");
            assert!(!message.contains("987654"), "{message}");
        }
    }

    #[test]
    fn every_field_of_a_bad_show_gets_a_message_without_its_value() {
        let now = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
        let draft = ShowDraft {
            name: format!("{MARKER}{}", "n".repeat(120)),
            discipline: MARKER.to_owned(),
            entry_fee: 987_654_321,
            prize_pool: -987_654_321,
            min_level: 987_654_321,
            max_level: 1,
            max_entries: 987_654_321,
            closes_at: now + TimeDelta::days(1),
            runs_at: now,
        };
        let errors = NewShow::parse(&draft).unwrap_err().errors;
        assert_eq!(errors.len(), 7, "{errors:?}");
        for error in errors {
            let message = error.client_message();
            assert!(message.starts_with("must "), "{message}");
            assert!(
                !message.contains(MARKER) && !message.contains("987654321"),
                "{message}"
            );
        }
    }
}
