//! Who ordered: a name and an address we can write to.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::email_address;
use super::text::{has_control_characters, NO_CONTROL_CHARACTERS};

/// A customer's name: 2–100 characters, not blank, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CustomerName(String);

impl CustomerName {
    pub const MIN_CHARS: u64 = 2;
    pub const MAX_CHARS: u64 = 100;

    pub fn parse(raw: &str) -> Result<CustomerName, String> {
        if has_control_characters(raw) {
            return Err(NO_CONTROL_CHARACTERS.to_owned());
        }
        let name = raw.trim();
        let chars = name.chars().count() as u64;
        let (min, max) = (Self::MIN_CHARS, Self::MAX_CHARS);
        if !(min..=max).contains(&chars) {
            return Err(format!("must be between {min} and {max} characters"));
        }
        Ok(CustomerName(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An email address SES can deliver to (see `email_address`). `Display` and
/// `Debug` mask it (`j***@example.com`), so a log never leaks it;
/// [`CustomerEmail::as_str`] is for the code that sends mail.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CustomerEmail(String);

impl CustomerEmail {
    pub fn parse(raw: &str) -> Result<CustomerEmail, String> {
        if has_control_characters(raw) {
            return Err(NO_CONTROL_CHARACTERS.to_owned());
        }
        let email = raw.trim();
        email_address::check(email)
            .map_err(|reason| format!("must be a valid email address: {reason}"))?;
        Ok(CustomerEmail(email.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `john@example.com` → `j***@example.com`.
    pub fn masked(&self) -> String {
        match self.0.rsplit_once('@') {
            Some((local, domain)) => {
                let first: String = local.chars().take(1).collect();
                format!("{first}***@{domain}")
            }
            None => "***".to_owned(),
        }
    }
}

impl fmt::Display for CustomerEmail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Debug for CustomerEmail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CustomerEmail({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_email_is_masked_in_display_and_debug() {
        let email = CustomerEmail::parse("john.doe@example.com").unwrap();
        assert_eq!(email.to_string(), "j***@example.com");
        assert_eq!(format!("{email:?}"), "CustomerEmail(j***@example.com)");
        assert_eq!(email.as_str(), "john.doe@example.com");
    }

    #[test]
    fn a_name_is_counted_in_characters_not_bytes() {
        assert!(CustomerName::parse("Zoë").is_ok());
        assert!(CustomerName::parse("é").is_err());
        assert!(CustomerName::parse(&"ä".repeat(100)).is_ok());
        assert!(CustomerName::parse(&"ä".repeat(101)).is_err());
        assert!(CustomerName::parse("   ").is_err());
    }

    #[test]
    fn a_name_or_address_with_a_control_character_is_refused_as_such() {
        let refused = Some(NO_CONTROL_CHARACTERS.to_owned());
        assert_eq!(CustomerName::parse("Ada\u{0}Lovelace").err(), refused);
        assert_eq!(CustomerName::parse("Ada Lovelace\n").err(), refused);
        assert_eq!(CustomerEmail::parse("ada\u{1b}@example.com").err(), refused);
    }
}
