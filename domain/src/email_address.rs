//! Whether SES can deliver to an address: an ASCII dot-atom (SES does not
//! speak SMTPUTF8), `@`, a host name. Internationalised domains only in their
//! ASCII form (`xn--bcher-kva.de`): the IDNA tables are not worth their size.

/// Why `address` cannot be delivered to (the end of "must be a valid email address: …").
pub(super) fn check(address: &str) -> Result<(), &'static str> {
    if address.contains(char::is_whitespace) {
        return Err("it must not contain spaces");
    }
    // Only a quoted local part (refused below) may hold an `@`: the last one separates.
    let Some((local, domain)) = address.rsplit_once('@') else {
        return Err("it needs an @, as in name@example.com");
    };
    check_local_part(local)?;
    check_domain(domain)?;
    // RFC 5321's limit on a forward path, less its angle brackets (in ASCII bytes).
    if address.len() > 254 {
        return Err("it must be at most 254 characters long");
    }
    Ok(())
}

/// The part before the `@`: a dot-atom of at most 64 octets.
fn check_local_part(local: &str) -> Result<(), &'static str> {
    if local.is_empty() {
        return Err("it needs a name before the @");
    }
    if local.starts_with('"') {
        return Err("a quoted name before the @ cannot be delivered to");
    }
    if !local.is_ascii() {
        return Err("the name before the @ must be written in ASCII characters");
    }
    if local.len() > 64 {
        return Err("the name before the @ must be at most 64 characters long");
    }
    if !local.bytes().all(|b| b == b'.' || is_atext(b)) {
        return Err("the name before the @ contains a character that is not allowed");
    }
    if has_misplaced_dot(local) {
        return Err("the name before the @ must not start or end with a dot, or have two in a row");
    }
    Ok(())
}

/// RFC 5322 `atext`: letters, digits and ``!#$%&'*+-/=?^_`{|}~``.
fn is_atext(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(&b)
}

/// The part after the `@`: a host name of two or more labels.
fn check_domain(domain: &str) -> Result<(), &'static str> {
    if domain.is_empty() {
        return Err("it needs a domain after the @");
    }
    if domain.starts_with('[') {
        return Err("an IP address cannot be the domain");
    }
    if !domain.is_ascii() {
        return Err(
            "write the domain in its ASCII form (xn--…), as in xn--bcher-kva.de for bücher.de",
        );
    }
    if has_misplaced_dot(domain) {
        return Err("the domain must not start or end with a dot, or have two in a row");
    }
    let mut labels = 0;
    let mut last = "";
    for label in domain.split('.') {
        check_label(label)?;
        labels += 1;
        last = label;
    }
    // `localhost` and other single labels only resolve inside one network.
    if labels < 2 {
        return Err("the domain needs a dot, as in example.com");
    }
    // No top-level domain is numeric; `a@127.0.0.1` is an IP address.
    if last.bytes().all(|b| b.is_ascii_digit()) {
        return Err("the domain must not end in a number");
    }
    Ok(())
}

/// A host name's label (RFC 1123; Punycode too): 1–63 letters, digits, inner hyphens.
fn check_label(label: &str) -> Result<(), &'static str> {
    if label.len() > 63 {
        return Err("each part of the domain between dots must be at most 63 characters long");
    }
    let allowed = |b: u8| b.is_ascii_alphanumeric() || b == b'-';
    if !label.bytes().all(allowed) {
        return Err("the domain may contain only letters, digits, hyphens and dots");
    }
    if label.starts_with('-') || label.ends_with('-') {
        return Err("a part of the domain must not start or end with a hyphen");
    }
    Ok(())
}

fn has_misplaced_dot(text: &str) -> bool {
    text.starts_with('.') || text.ends_with('.') || text.contains("..")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_addresses_mail_providers_deliver_to() {
        for address in [
            "john.doe@example.com",
            "a@b.co",
            "first+tag@sub.example.co.uk",
            "o'brien@example.ie",
            "x!#$%&'*+-/=?^_`{|}~@example.com",
            "a@xn--bcher-kva.de",
            "a@123.example.com",
            "a@example.xn--p1ai",
            &format!("{}@example.com", "a".repeat(64)),
            &format!("a@{}.com", "b".repeat(63)),
        ] {
            assert_eq!(check(address), Ok(()), "{address}");
        }
    }

    #[test]
    fn rejects_addresses_ses_cannot_deliver_to() {
        for address in [
            "",
            "plainaddress",
            "@example.com",
            "john@",
            "a@localhost",
            "a@[127.0.0.1]",
            "a@127.0.0.1",
            "\"a b\"@example.com",
            "\"ab\"@example.com",
            "jöhn@example.com",
            "a@bücher.de",
            "a b@example.com",
            "a..b@example.com",
            ".a@example.com",
            "a.@example.com",
            "a@example..com",
            "a@.example.com",
            "a@example.com.",
            "a@-example.com",
            "a@example-.com",
            "a@exa_mple.com",
            "a@b@example.com",
            "a(comment)@example.com",
            &format!("{}@example.com", "a".repeat(65)),
            &format!("a@{}.com", "b".repeat(64)),
            &format!("a@{}.com", vec!["b".repeat(60); 5].join(".")),
        ] {
            assert!(check(address).is_err(), "{address}");
        }
    }

    #[test]
    fn tells_the_user_to_write_an_international_domain_in_ascii() {
        let reason = check("a@bücher.de").unwrap_err();
        assert!(reason.contains("xn--"), "{reason}");
    }
}
