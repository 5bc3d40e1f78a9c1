//! Parsing of plain input values at the edge of the domain; services trust what these return.
use chrono_tz::Tz;

use crate::error::{DomainError, Result};

/// A required, trimmed, reasonably short display string.
pub fn name(field: &str, value: &str, max_chars: usize) -> Result<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(DomainError::invalid(field, "must not be empty"));
    }
    if trimmed.chars().count() > max_chars {
        return Err(DomainError::invalid(
            field,
            format!("must be at most {max_chars} characters"),
        ));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(DomainError::invalid(field, "must not contain control characters"));
    }
    Ok(trimmed.to_owned())
}

/// Emails compare case-insensitively, so they are stored lowercased.
pub fn email(field: &str, value: &str) -> Result<String> {
    let trimmed = value.trim();
    if trimmed.len() > 254 || !email_address::EmailAddress::is_valid(trimmed) {
        return Err(DomainError::invalid(field, "is not a valid email address"));
    }
    Ok(trimmed.to_lowercase())
}

pub fn timezone(field: &str, value: &str) -> Result<Tz> {
    value.parse::<Tz>().map_err(|_| {
        DomainError::invalid(
            field,
            format!("`{value}` is not an IANA time zone name (for example Australia/Sydney)"),
        )
    })
}

pub const MIN_PASSWORD_CHARS: usize = 10;

pub fn password(field: &str, value: &str) -> Result<()> {
    let chars = value.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(DomainError::invalid(
            field,
            format!("must be at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    if chars > 256 {
        return Err(DomainError::invalid(field, "must be at most 256 characters"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_normalised_or_rejected_with_their_field() {
        assert_eq!(email("email", "  Ada@Example.COM ").unwrap(), "ada@example.com");
        assert!(matches!(email("email", "nope"), Err(DomainError::Validation(e)) if e[0].field == "email"));
        assert_eq!(
            timezone("tz", "Australia/Sydney").unwrap(),
            chrono_tz::Australia::Sydney
        );
        assert!(timezone("tz", "Mars/Olympus").is_err());
        assert_eq!(name("name", "  HR  ", 10).unwrap(), "HR");
        assert!(name("name", "   ", 10).is_err());
        assert!(name("name", "abcdefghijk", 10).is_err());
        assert!(password("password", "short").is_err());
    }
}
