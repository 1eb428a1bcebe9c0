//! A rule every text field of an order shares.

/// Control characters (C0, `U+007F`, C1) break log lines, CSV exports and the
/// email. JSON lets a client send them escaped (`\u001b`): checked after unescaping.
pub(super) fn has_control_characters(text: &str) -> bool {
    // A byte scan first, as this runs on every text field: C0 and DEL are bytes below
    // 0x20 or 0x7F, every C1 character starts with 0xC2. Only then char by char
    // (`char::is_control` is exactly Unicode's Cc category).
    text.bytes().any(|b| b < 0x20 || b == 0x7f || b == 0xc2) && text.chars().any(char::is_control)
}

pub(super) const NO_CONTROL_CHARACTERS: &str = "must not contain control characters";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c0_delete_and_c1_are_control_characters_and_nothing_else_is() {
        for c in ['\u{0}', '\u{1b}', '\n', '\u{7f}', '\u{80}', '\u{9f}'] {
            assert!(has_control_characters(&format!("ab{c}cd")), "{c:?}");
        }
        for text in ["Zoë", "a\u{a0}b", "©", "日本", "\u{200b}", ""] {
            assert!(!has_control_characters(text), "{text:?}");
        }
        // The byte scan agrees with Unicode's Cc category on every char.
        let mut text = String::new();
        for c in (0..=0x10ffff).filter_map(char::from_u32) {
            text.clear();
            text.extend(['x', c, 'y']);
            assert_eq!(has_control_characters(&text), c.is_control(), "{c:?}");
        }
    }
}
