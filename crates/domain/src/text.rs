//! Which characters a public name may contain.
//!
//! Names are shown to other players (boards, show entries, profiles), so a name must look like
//! what it is. Refused anywhere in a name:
//! - control characters (general category Cc: NUL, tabs, newlines, escape, C1 controls);
//! - format characters (Cf): bidirectional overrides, embeddings and isolates such as U+202E,
//!   which can make a name render reversed or swallow the text around it; zero-width space,
//!   joiner and non-joiner (U+200B-U+200D), word joiner, the byte-order mark U+FEFF, soft hyphen,
//!   tag characters - invisible characters that let two different names look the same;
//! - line and paragraph separators (Zl U+2028, Zp U+2029), which break a one-line board.
//!
//! The price: emoji sequences glued by a zero-width joiner are refused in names; single emoji
//! remain allowed.

use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// Whether `c` may not appear in a public name (see the module documentation).
pub fn is_forbidden_in_name(c: char) -> bool {
    matches!(
        c.general_category(),
        GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
    )
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::account::Username;
    use crate::competition::ShowName;
    use crate::horse::HorseName;

    /// Characters that spoof or hide text, each of which every name parser must refuse.
    const SPOOFERS: [char; 14] = [
        '\u{0}',     // NUL
        '\u{1B}',    // escape
        '\u{85}',    // next line (C1 control)
        '\u{AD}',    // soft hyphen
        '\u{200B}',  // zero-width space
        '\u{200C}',  // zero-width non-joiner
        '\u{200D}',  // zero-width joiner
        '\u{200E}',  // left-to-right mark
        '\u{202A}',  // left-to-right embedding
        '\u{202E}',  // right-to-left override
        '\u{2066}',  // left-to-right isolate
        '\u{2028}',  // line separator
        '\u{FEFF}',  // byte-order mark / zero-width no-break space
        '\u{E0041}', // tag latin capital letter A
    ];

    /// Parses a name: the stored name, if the input is valid.
    type NameParser = fn(&str) -> Option<String>;

    /// The three public names.
    fn name_parsers() -> [(&'static str, NameParser); 3] {
        [
            ("username", |s| {
                Username::parse(s).ok().map(|n| n.as_str().to_owned())
            }),
            ("horse name", |s| {
                HorseName::parse(s).ok().map(HorseName::into_string)
            }),
            ("show name", |s| {
                ShowName::parse(s).ok().map(ShowName::into_string)
            }),
        ]
    }

    #[test]
    fn every_spoofing_character_is_forbidden() {
        for c in SPOOFERS {
            assert!(is_forbidden_in_name(c), "U+{:04X}", u32::from(c));
        }
    }

    #[test]
    fn ordinary_letters_digits_spaces_punctuation_and_emoji_are_allowed() {
        for c in [
            'a', 'Z', '7', ' ', '-', '\'', 'é', 'ß', 'Ж', '馬', '🐎', '\u{A0}',
        ] {
            assert!(!is_forbidden_in_name(c), "{c:?}");
        }
    }

    #[test]
    fn no_name_holds_a_spoofing_character_anywhere() {
        for (what, parse) in name_parsers() {
            assert!(
                parse("Spirit_01").is_some(),
                "{what}: the base name is valid"
            );
            for c in SPOOFERS {
                let code = u32::from(c);
                assert_eq!(
                    parse(&format!("Spi{c}rit_01")),
                    None,
                    "{what}: U+{code:04X}"
                );
                // At either end a whitespace separator may be trimmed away instead; either
                // way the stored name does not hold it.
                for name in [format!("{c}Spirit_01"), format!("Spirit_01{c}")] {
                    if let Some(stored) = parse(&name) {
                        assert!(!stored.contains(c), "{what} stored U+{code:04X}");
                    }
                }
            }
        }
    }

    proptest! {
        /// Whatever is parsed into a name holds no forbidden character, and a valid name with a
        /// forbidden character inserted inside it is refused.
        #[test]
        fn names_never_hold_a_forbidden_character(
            input in "\\PC{0,40}|.{0,40}",
            base in "[A-Za-z0-9_]{3,20}",
            at in 0usize..20,
            bad in prop::sample::select(SPOOFERS.to_vec()),
        ) {
            for (what, parse) in name_parsers() {
                if let Some(stored) = parse(&input) {
                    prop_assert!(!stored.chars().any(is_forbidden_in_name), "{}", what);
                }
                let mut spoofed = base.clone();
                spoofed.insert(at.clamp(1, base.len() - 1), bad);
                prop_assert_eq!(parse(&spoofed), None, "{} accepted {:?}", what, spoofed);
            }
        }
    }
}
