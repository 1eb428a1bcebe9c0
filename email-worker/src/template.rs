//! Placeholders are filled in one pass: a value is never scanned for
//! placeholders itself, so a customer called `{{total}}` is printed as such.

/// `template` with each `{{name}}` filled; one without a value is left (tests check).
pub fn fill(template: &str, values: &[(&str, String)]) -> String {
    let mut out = String::with_capacity(template.len() * 2);
    let mut rest = template;
    while let Some((before, after)) = rest.split_once("{{") {
        let Some((name, next)) = after.split_once("}}") else {
            break;
        };
        out.push_str(before);
        match values.iter().find(|(known, _)| *known == name.trim()) {
            Some((_, text)) => out.push_str(text),
            None => out.extend(["{{", name, "}}"]),
        }
        rest = next;
    }
    out.push_str(rest);
    out
}

/// Text made safe for HTML element content and quoted attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values() -> [(&'static str, String); 2] {
        [
            ("name", "{{total}}".to_owned()),
            ("total", "9.99".to_owned()),
        ]
    }

    #[test]
    fn fills_each_placeholder_once_and_never_inside_a_value() {
        assert_eq!(
            fill("Hi {{name}}, total {{ total }}.", &values()),
            "Hi {{total}}, total 9.99."
        );
    }

    #[test]
    fn leaves_unknown_and_unclosed_placeholders_alone() {
        assert_eq!(
            fill("{{nope}} and {{open", &values()),
            "{{nope}} and {{open"
        );
    }

    #[test]
    fn escapes_the_characters_html_gives_meaning_to() {
        assert_eq!(
            escape_html(r#"<b>"Tom" & 'Jerry'</b>"#),
            "&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;"
        );
    }
}
