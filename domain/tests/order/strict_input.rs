//! The strict parser: money from the literal, whole-number quantities, no repeated
//! keys, no control characters, only addresses SES can deliver to, and every
//! wrong type reported together.

use domain::{parse_order, OrderRejection};
use rust_decimal_macros::dec;
use serde_json::json;

use crate::support::*;

#[test]
fn reads_money_from_the_literal_and_never_rounds_it() {
    const PLACES: &str = "must have at most 2 decimal places";
    const EXPONENT: &str = "must be a plain decimal number such as 19.99, without an exponent";
    const RANGE: &str = "must be greater than 0 and at most 999999.99";
    // Decided: a price sent as a string is refused, not parsed.
    const TEXT: &str = "has the wrong type; expected a number";
    let huge = "9".repeat(40);
    // (where, the literal, the message after the field's name, or None when valid)
    let cases: Vec<(&str, &str, Option<&str>)> = vec![
        ("/items/0/price", "19.999999999999999", Some(PLACES)),
        ("/items/0/price", "1.005", Some(PLACES)),
        ("/items/0/price", "1e2", Some(EXPONENT)),
        ("/items/0/price", "1E2", Some(EXPONENT)),
        ("/items/0/price", "2999e-2", Some(EXPONENT)),
        ("/items/0/price", &huge, Some(RANGE)),
        ("/items/0/price", "1000000.00", Some(RANGE)),
        ("/items/0/price", "-0", Some(RANGE)),
        ("/items/0/price", r#""19.99""#, Some(TEXT)),
        ("/items/0/price", "29.990", None),
        (
            "/items/0/price",
            "29.99000000000000000000000000000000000",
            None,
        ),
        ("/items/0/subtotal", "59.980", None),
        ("/items/0/subtotal", "59.98000000000001", Some(PLACES)),
        ("/items/0/subtotal", "5998e-2", Some(EXPONENT)),
        ("/items/0/subtotal", &huge, Some("is out of range")),
        ("/totalAmount", "109.970", None),
        ("/totalAmount", "1.0997e2", Some(EXPONENT)),
        ("/totalAmount", "109.969999999999999", Some(PLACES)),
    ];
    for (path, literal, expected) in cases {
        let body = with_raw(path, literal);
        let field = path[1..].replace("/0/", "[0].");
        let name = field.rsplit('.').next().unwrap_or_default();
        let want = match expected {
            Some(message) => one(&field, &format!("{name} {message}")),
            None => Vec::new(),
        };
        assert_eq!(reported(&body), want, "{path} = {literal}");
    }
    let order = parse_order(with_raw("/items/0/price", "29.990").as_bytes()).unwrap();
    assert_eq!(order.items[0].price.amount(), dec!(29.99));
}

#[test]
fn takes_a_quantity_only_as_a_whole_number_literal() {
    const WHOLE: &str = "quantity must be a whole number, written without a fraction or exponent";
    const RANGE: &str = "quantity must be between 1 and 1000";
    for (literal, expected) in [
        ("2", None),
        ("2.0", Some(WHOLE)),
        ("2e0", Some(WHOLE)),
        ("2.5", Some(WHOLE)),
        ("1001", Some(RANGE)),
        ("99999999999999999999999", Some(RANGE)),
        ("-1", Some(RANGE)),
        (
            r#""2""#,
            Some("quantity has the wrong type; expected an integer"),
        ),
    ] {
        let want = expected.map_or_else(Vec::new, |m| one("items[0].quantity", m));
        let body = with_raw("/items/0/quantity", literal);
        assert_eq!(reported(&body), want, "{literal}");
    }
}

#[test]
fn rejects_a_key_that_appears_more_than_once_at_any_depth() {
    let valid = valid_order().to_string();
    let item = r#"{"productId":"P","quantity":1,"price":1"#;
    // (what, the body, the errors as (field, message))
    type Case<'a> = (&'a str, String, Vec<(&'a str, &'a str)>);
    let cases: Vec<Case> = vec![
        (
            "top level",
            valid.replacen('{', r#"{"customerName":"Jane Roe","#, 1),
            vec![("customerName", "customerName appears more than once")],
        ),
        (
            "in an item",
            with_raw("/items/0", &format!(r#"{item},"price":2}}"#)),
            vec![("items[0].price", "price appears more than once")],
        ),
        (
            "after unescaping",
            with_raw("/items/1", &format!(r#"{item},"pr\u0069ce":1}}"#)),
            vec![("items[1].price", "price appears more than once")],
        ),
        (
            "an unknown field",
            valid.replacen('{', r#"{"note":1,"note":2,"#, 1),
            vec![("note", "note appears more than once")],
        ),
        (
            "inside an unknown field",
            valid.replacen('{', r#"{"meta":[{"x":{"k":1,"k":2,"k":3}}],"#, 1),
            vec![("meta[0].x.k", "k appears more than once")],
        ),
        (
            "inside a value of the wrong type",
            with_raw("/items/0/price", r#"{"a":1,"a":2}"#),
            vec![
                (
                    "items[0].price",
                    "price has the wrong type; expected a number",
                ),
                ("items[0].price.a", "a appears more than once"),
            ],
        ),
    ];
    for (what, body, expected) in cases {
        let expected: Vec<_> = expected
            .into_iter()
            .map(|(f, m)| (f.to_owned(), m.to_owned()))
            .collect();
        assert_eq!(reported(&body), expected, "{what}: {body}");
    }
}

#[test]
fn rejects_control_characters_in_every_text_field() {
    let fields = [
        ("/customerId", "customerId"),
        ("/customerName", "customerName"),
        ("/customerEmail", "customerEmail"),
        ("/items/0/productId", "items[0].productId"),
        ("/items/0/productName", "items[0].productName"),
    ];
    for (pointer, field) in fields {
        for control in ['\0', '\u{1b}', '\n', '\u{7f}', '\u{85}', '\u{9b}'] {
            let text = format!("ada{control}@example.com");
            let name = field.rsplit('.').next().unwrap_or_default();
            assert_eq!(
                reported(&with(pointer, json!(text)).to_string()),
                one(
                    field,
                    &format!("{name} must not contain control characters")
                ),
                "{field} with {control:?}"
            );
        }
    }
}

#[test]
fn rejects_addresses_ses_cannot_deliver_to() {
    for email in [
        "a@localhost",
        "a@[127.0.0.1]",
        "\"a b\"@example.com",
        "jöhn@example.com",
        "a@bücher.de",
        "a..b@example.com",
        ".a@example.com",
        "a@-example.com",
        "a@example.123",
        "a b@example.com",
    ] {
        let errors = errors_of(&with("/customerEmail", json!(email)));
        assert_eq!(errors.len(), 1, "{email}: {errors:?}");
        assert_eq!(errors[0].field, "customerEmail", "{email}");
        assert!(
            errors[0]
                .message
                .starts_with("customerEmail must be a valid email address: "),
            "{email}: {}",
            errors[0].message
        );
    }
    let errors = errors_of(&with("/customerEmail", json!("a@bücher.de")));
    assert!(errors[0].message.contains("xn--"), "{}", errors[0].message);
    for email in ["a@xn--bcher-kva.de", "first.last+tag@mail.example.co.uk"] {
        assert_eq!(
            fields_of(&with("/customerEmail", json!(email))),
            Vec::<String>::new(),
            "{email}"
        );
    }
}

#[test]
fn reports_every_value_of_the_wrong_type_together() {
    let body = json!({
        "customerId": 5,
        "customerName": 42,
        "customerEmail": true,
        "items": [
            {"productId": 7, "productName": [1], "quantity": "2", "price": "19.99", "subtotal": {}},
            "PROD-1"
        ],
        "totalAmount": "x"
    });
    let expect = |what: &str| format!("has the wrong type; expected {what}");
    let expected: Vec<(String, String)> = [
        ("customerEmail", expect("a string")),
        ("customerId", expect("a string")),
        ("customerName", expect("a string")),
        ("totalAmount", expect("a number")),
        ("items[0].price", expect("a number")),
        ("items[0].productId", expect("a string")),
        ("items[0].productName", expect("a string")),
        ("items[0].quantity", expect("an integer")),
        ("items[0].subtotal", expect("a number")),
        ("items[1]", expect("an object")),
    ]
    .into_iter()
    .map(|(field, message)| {
        let name = field.rsplit('.').next().unwrap_or_default();
        (field.to_owned(), format!("{name} {message}"))
    })
    .collect();
    assert_eq!(reported(&body.to_string()), expected);
}

#[test]
fn refuses_a_body_that_is_not_one_json_value() {
    for body in [
        &br#"{"customerName":"Ada"} x"#[..],
        br#"{} {}"#,
        b"{\"customerName\":\"Ada\x01\"}",
        b"{\"customerName\":\"\xff\"}",
        br#"{"customerName":"\ud800"}"#,
        br#"{"a":1e}"#,
    ] {
        match parse_order(body) {
            Err(OrderRejection::MalformedJson(message)) => assert!(!message.is_empty()),
            other => panic!(
                "{:?}: expected malformed JSON, got {other:?}",
                body.escape_ascii()
            ),
        }
    }
    assert_eq!(
        parse_order(b"[1, 2]"),
        Err(OrderRejection::MalformedJson(
            "the body must be a JSON object".to_owned()
        ))
    );
}
