//! Account values: email, username, password and role.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

use crate::client::ClientMessage;

/// Longest email address accepted, in bytes.
pub const EMAIL_MAX_BYTES: usize = 254;
/// Fewest characters of a username.
pub const USERNAME_MIN_CHARS: usize = 3;
/// Most characters of a username.
pub const USERNAME_MAX_CHARS: usize = 30;
/// Most characters of a first or last name in a profile.
pub const PROFILE_NAME_MAX_CHARS: usize = 50;
/// Most characters of a profile's bio.
pub const BIO_MAX_CHARS: usize = 500;

/// An email address, stored lower-case. Checked loosely (one `@`, a dot in
/// the domain, no spaces, at most 254 bytes): delivery is the real test.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "must be an email address such as player@example.com (at most {EMAIL_MAX_BYTES} characters)"
)]
pub struct EmailError;

impl Email {
    pub fn parse(raw: &str) -> Result<Self, EmailError> {
        let email = raw.trim().to_lowercase();
        let (local, domain) = email.split_once('@').ok_or(EmailError)?;
        let valid = !local.is_empty()
            && email.len() <= EMAIL_MAX_BYTES
            && !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !email.chars().any(|c| c.is_whitespace() || c.is_control());
        if valid {
            Ok(Self(email))
        } else {
            Err(EmailError)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A public player name: 3-30 characters of `[A-Za-z0-9_]`. Unique without
/// regard to case (enforced by the database). Being ASCII only, it can hold
/// no control, invisible format or look-alike character (see [`crate::text`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "must be {USERNAME_MIN_CHARS}-{USERNAME_MAX_CHARS} characters of letters, digits and underscores"
)]
pub struct UsernameError;

impl Username {
    pub fn parse(raw: &str) -> Result<Self, UsernameError> {
        let valid = (USERNAME_MIN_CHARS..=USERNAME_MAX_CHARS).contains(&raw.len())
            && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if valid {
            Ok(Self(raw.to_owned()))
        } else {
            Err(UsernameError)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A plain-text password on its way to the hasher: 12-72 bytes (bcrypt
/// ignores anything past 72 bytes, so longer ones are refused rather than
/// silently truncated). `Debug` never shows it and there is no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

/// Byte bounds of a password.
pub const PASSWORD_MIN_BYTES: usize = 12;
pub const PASSWORD_MAX_BYTES: usize = 72;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PasswordError {
    #[error("must be at least {PASSWORD_MIN_BYTES} bytes long")]
    TooShort,
    #[error(
        "must be at most {PASSWORD_MAX_BYTES} bytes long (longer passwords would be truncated by bcrypt)"
    )]
    TooLong,
}

impl Password {
    pub fn parse(raw: &str) -> Result<Self, PasswordError> {
        match raw.len() {
            n if n < PASSWORD_MIN_BYTES => Err(PasswordError::TooShort),
            n if n > PASSWORD_MAX_BYTES => Err(PasswordError::TooLong),
            _ => Ok(Self(raw.to_owned())),
        }
    }

    /// A candidate for verification only (login, current password): no
    /// minimum, since it is compared, never stored. Longer than 72 bytes it
    /// cannot be a stored password and is refused, so it never reaches
    /// bcrypt (which would compare only its first 72 bytes, letting a
    /// 72-byte password match itself followed by anything). Callers answer
    /// such a candidate exactly as a wrong password.
    pub fn candidate(raw: &str) -> Result<Self, PasswordError> {
        if raw.len() > PASSWORD_MAX_BYTES {
            Err(PasswordError::TooLong)
        } else {
            Ok(Self(raw.to_owned()))
        }
    }

    /// The password's bytes, for the hasher.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Password").field(&Redacted).finish()
    }
}

/// Stands in for a secret (password, hash, token) in a hand-written `Debug`:
/// formats as `[REDACTED]`. Types that hold secrets never derive `Debug`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[REDACTED]")
    }
}

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    User,
    Moderator,
    Admin,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("must be one of {}", crate::client::joined(Role::ALL.map(Role::as_str)))]
pub struct RoleError;

impl Role {
    /// Every role, from least to most powerful.
    pub const ALL: [Role; 3] = [Role::User, Role::Moderator, Role::Admin];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Moderator => "moderator",
            Self::Admin => "admin",
        }
    }
}

impl FromStr for Role {
    type Err = RoleError;

    fn from_str(s: &str) -> Result<Self, RoleError> {
        match s {
            "user" => Ok(Self::User),
            "moderator" => Ok(Self::Moderator),
            "admin" => Ok(Self::Admin),
            _ => Err(RoleError),
        }
    }
}

/// Optional profile text (first name, last name, bio): trimmed, no control
/// characters except newlines in the bio, bounded length.
pub fn parse_profile_text(
    raw: &str,
    max_chars: usize,
    multiline: bool,
) -> Result<String, ProfileTextError> {
    let text = raw.trim();
    if text.chars().count() > max_chars {
        return Err(ProfileTextError::TooLong { max_chars });
    }
    if text
        .chars()
        .any(|c| c.is_control() && !(multiline && c == '\n'))
    {
        return Err(ProfileTextError::ControlCharacter);
    }
    Ok(text.to_owned())
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProfileTextError {
    #[error("must be at most {max_chars} characters")]
    TooLong { max_chars: usize },
    #[error("must not contain control characters")]
    ControlCharacter,
}

/// The `Display` of the account errors is already written for clients: it says what was
/// expected and never quotes the value.
macro_rules! display_is_client_ready {
    ($($error:ty),+) => {
        $(impl ClientMessage for $error {
            fn client_message(&self) -> String {
                self.to_string()
            }
        })+
    };
}

display_is_client_ready!(
    EmailError,
    UsernameError,
    PasswordError,
    RoleError,
    ProfileTextError
);

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        assert_eq!(
            Email::parse("  Rider@Example.COM ").unwrap().as_str(),
            "rider@example.com"
        );
    }

    #[test]
    fn malformed_emails_are_refused() {
        for bad in [
            "",
            "no-at.example",
            "a@b",
            "a@@b.c",
            "a b@c.d",
            "@x.y",
            "a@.x",
            "a@x.",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn usernames_are_3_to_30_word_characters() {
        assert!(Username::parse("ab").is_err());
        assert!(Username::parse("abc").is_ok());
        assert!(Username::parse(&"a".repeat(30)).is_ok());
        assert!(Username::parse(&"a".repeat(31)).is_err());
        assert!(Username::parse("bad-name").is_err());
        assert!(Username::parse("rider_01").is_ok());
    }

    #[test]
    fn passwords_are_12_to_72_bytes_and_never_shown() {
        assert_eq!(Password::parse("short"), Err(PasswordError::TooShort));
        assert!(Password::parse(&"p".repeat(12)).is_ok());
        assert!(Password::parse(&"p".repeat(72)).is_ok());
        assert_eq!(
            Password::parse(&"p".repeat(73)),
            Err(PasswordError::TooLong)
        );
        // 24 three-byte characters are 72 bytes; one more is too long.
        assert!(Password::parse(&"€".repeat(24)).is_ok());
        assert!(Password::parse(&"€".repeat(25)).is_err());
        let debug = format!("{:?}", Password::parse("correct horse battery").unwrap());
        assert!(!debug.contains("horse"));
    }

    #[test]
    fn candidates_have_no_minimum_but_stop_at_72_bytes() {
        assert!(Password::candidate("").is_ok());
        assert!(Password::candidate(&"p".repeat(72)).is_ok());
        assert_eq!(
            Password::candidate(&"p".repeat(73)),
            Err(PasswordError::TooLong)
        );
        assert!(Password::candidate(&"€".repeat(25)).is_err());
    }

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in [Role::User, Role::Moderator, Role::Admin] {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
        }
        assert!("root".parse::<Role>().is_err());
    }
}
