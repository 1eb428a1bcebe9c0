//! The rules of the text fields that are not domain types of their own
//! (`customerId`, `productId`, `productName`).

use super::super::text::{has_control_characters, NO_CONTROL_CHARACTERS};

pub(super) fn customer_id(text: &str) -> Result<String, String> {
    plain(text, 100).map(|()| text.to_owned())
}

/// Stored trimmed: `" P-1 "` and `"P-1"` are one product.
pub(super) fn product_id(text: &str) -> Result<String, String> {
    plain(text, 100)?;
    let id = text.trim();
    if id.is_empty() {
        return Err("must not be empty".to_owned());
    }
    Ok(id.to_owned())
}

pub(super) fn product_name(text: &str) -> Result<String, String> {
    plain(text, 200).map(|()| text.to_owned())
}

/// No control characters, at most `max` characters (not bytes).
fn plain(text: &str, max: usize) -> Result<(), String> {
    if has_control_characters(text) {
        return Err(NO_CONTROL_CHARACTERS.to_owned());
    }
    // A text never has more characters than bytes: count only when it might.
    if text.len() > max && text.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    Ok(())
}
