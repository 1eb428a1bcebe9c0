//! Keeping customer addresses out of logs and dead letters. Our own code logs
//! a [`domain::CustomerEmail`], whose `Display` masks it; text we do not write
//! (SES's "Address blacklisted: jane@example.com") goes through [`addresses`].

use std::borrow::Cow;

/// Characters that end the local part of an address found in free text.
fn is_boundary(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '<' | '>' | '(' | ')' | '[' | ']' | '"' | '\'' | ',' | ';' | ':' | '=' | '`'
        )
}

/// Masks every address in `text` as `CustomerEmail` does: `j***@example.com`.
pub fn addresses(text: &str) -> Cow<'_, str> {
    if !text.contains('@') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('@') {
        let (before, after) = rest.split_at(at);
        let local_start = before
            .char_indices()
            .rev()
            .find(|(_, c)| is_boundary(*c))
            .map_or(0, |(i, c)| i + c.len_utf8());
        let local = &before[local_start..];
        out.push_str(&before[..local_start]);
        if let Some(first) = local.chars().next() {
            out.push(first);
            out.push_str("***");
        }
        out.push('@');
        rest = &after[1..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::addresses;

    #[test]
    fn masks_every_address_in_an_aws_error_message() {
        assert_eq!(
            addresses("MessageRejected: Address blacklisted: jane.doe@example.com (HTTP 400)"),
            "MessageRejected: Address blacklisted: j***@example.com (HTTP 400)"
        );
        assert_eq!(
            addresses("to <ada@example.com>, bob+x@example.org; \"c@d.io\""),
            "to <a***@example.com>, b***@example.org; \"c***@d.io\""
        );
    }

    #[test]
    fn leaves_text_without_addresses_as_it_is() {
        assert_eq!(
            addresses("Throttling: rate exceeded"),
            "Throttling: rate exceeded"
        );
        assert_eq!(addresses("a lone @ sign"), "a lone @ sign");
    }

    #[test]
    fn never_leaks_a_local_part_of_non_ascii_or_odd_addresses() {
        let masked = addresses("jöhn.dœ@bücher.de and x@y");
        assert!(!masked.contains("jöhn.dœ"), "{masked}");
        assert!(!masked.contains("x@"), "{masked}");
    }
}
