//! Every rule of the `POST /order` contract, at both sides of every bound.

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::{json, Value};
use shared::domain::{parse_order, FieldError, OrderRejection};

fn valid_order() -> Value {
    json!({
        "customerId": "CUST-12345",
        "customerName": "John Doe",
        "customerEmail": "john.doe@example.com",
        "items": [
            {"productId": "PROD-001", "productName": "Widget A", "quantity": 2, "price": 29.99},
            {"productId": "PROD-002", "productName": "Widget B", "quantity": 1, "price": 49.99}
        ]
    })
}

/// The valid order with the field at `path` (a JSON pointer) set to `value`.
fn with(path: &str, value: Value) -> Value {
    let mut order = valid_order();
    let (parent, key) = path.rsplit_once('/').expect("a JSON pointer");
    let parent = order
        .pointer_mut(parent)
        .unwrap_or_else(|| panic!("no {parent}"));
    match parent {
        Value::Object(map) => {
            map.insert(key.to_owned(), value);
        }
        Value::Array(list) => list[key.parse::<usize>().expect("an index")] = value,
        _ => panic!("{path} is not inside an object or array"),
    }
    order
}

fn without(field: &str) -> Value {
    let mut order = valid_order();
    order.as_object_mut().expect("an object").remove(field);
    order
}

fn errors_of(body: &Value) -> Vec<FieldError> {
    match parse_order(body.to_string().as_bytes()) {
        Ok(_) => Vec::new(),
        Err(OrderRejection::Invalid(errors)) => errors,
        Err(other) => panic!("expected validation errors, got {other:?}"),
    }
}

/// The valid order as text, with the value at `path` written as `raw` —
/// for number literals `json!` cannot spell (`1e2`, `19.990`) and bodies
/// that are not what a JSON library would write.
fn with_raw(path: &str, raw: &str) -> String {
    with(path, json!("@raw@"))
        .to_string()
        .replace(r#""@raw@""#, raw)
}

/// `(field, message)` of every error, in order.
fn reported(body: &str) -> Vec<(String, String)> {
    match parse_order(body.as_bytes()) {
        Ok(_) => Vec::new(),
        Err(OrderRejection::Invalid(errors)) => {
            errors.into_iter().map(|e| (e.field, e.message)).collect()
        }
        Err(other) => panic!("expected validation errors, got {other:?}"),
    }
}

fn one(field: &str, message: &str) -> Vec<(String, String)> {
    vec![(field.to_owned(), message.to_owned())]
}

fn fields_of(body: &Value) -> Vec<String> {
    errors_of(body).into_iter().map(|e| e.field).collect()
}

fn item(quantity: Value, price: Value) -> Value {
    json!({"productId": "P", "quantity": quantity, "price": price})
}

#[test]
fn accepts_the_reference_order_and_computes_subtotals_and_total() {
    let order = parse_order(valid_order().to_string().as_bytes()).unwrap();
    assert_eq!(order.items[0].subtotal.amount(), dec!(59.98));
    assert_eq!(order.total().amount(), dec!(109.97));
    assert_eq!(order.customer_id.as_deref(), Some("CUST-12345"));
}

#[test]
fn checks_every_bound_on_both_sides() {
    let name = |n: usize| json!("x".repeat(n));
    let items = |n: usize| Value::Array((0..n).map(|_| item(json!(1), json!(1))).collect());
    // (what, body, the field that must be reported, or None when valid)
    let cases: Vec<(&str, Value, Option<&str>)> = vec![
        (
            "name of 1",
            with("/customerName", name(1)),
            Some("customerName"),
        ),
        ("name of 2", with("/customerName", name(2)), None),
        ("name of 100", with("/customerName", name(100)), None),
        (
            "name of 101",
            with("/customerName", name(101)),
            Some("customerName"),
        ),
        (
            "blank name",
            with("/customerName", json!("   ")),
            Some("customerName"),
        ),
        (
            "quantity 0",
            with("/items/0/quantity", json!(0)),
            Some("items[0].quantity"),
        ),
        (
            "quantity -1",
            with("/items/0/quantity", json!(-1)),
            Some("items[0].quantity"),
        ),
        ("quantity 1", with("/items/0/quantity", json!(1)), None),
        (
            "quantity 1000",
            with("/items/0/quantity", json!(1000)),
            None,
        ),
        (
            "quantity 1001",
            with("/items/1/quantity", json!(1001)),
            Some("items[1].quantity"),
        ),
        (
            "quantity 2.5",
            with("/items/0/quantity", json!(2.5)),
            Some("items[0].quantity"),
        ),
        (
            "price 0",
            with("/items/0/price", json!(0)),
            Some("items[0].price"),
        ),
        (
            "price -5",
            with("/items/0/price", json!(-5)),
            Some("items[0].price"),
        ),
        ("price 0.01", with("/items/0/price", json!(0.01)), None),
        (
            "price 999999.99",
            with("/items/0/price", json!(999999.99)),
            None,
        ),
        (
            "price 1000000",
            with("/items/0/price", json!(1000000)),
            Some("items[0].price"),
        ),
        (
            "price 1.005",
            with("/items/0/price", json!(1.005)),
            Some("items[0].price"),
        ),
        (
            "price as text",
            with("/items/0/price", json!("12.50")),
            Some("items[0].price"),
        ),
        (
            "price not a number",
            with("/items/0/price", json!(true)),
            Some("items[0].price"),
        ),
        ("0 items", with("/items", items(0)), Some("items")),
        ("1 item", with("/items", items(1)), None),
        ("50 items", with("/items", items(50)), None),
        ("51 items", with("/items", items(51)), Some("items")),
        (
            "bad email",
            with("/customerEmail", json!("not-an-email")),
            Some("customerEmail"),
        ),
        (
            "email without domain",
            with("/customerEmail", json!("john@")),
            Some("customerEmail"),
        ),
        (
            "empty productId",
            with("/items/0/productId", json!("")),
            Some("items[0].productId"),
        ),
        (
            "blank productId",
            with("/items/0/productId", json!("  ")),
            Some("items[0].productId"),
        ),
        (
            "no productName",
            with("/items/0/productName", Value::Null),
            None,
        ),
        ("no customerId", with("/customerId", Value::Null), None),
        (
            "customerId of 101",
            with("/customerId", name(101)),
            Some("customerId"),
        ),
        (
            "right subtotal",
            with("/items/0/subtotal", json!(59.98)),
            None,
        ),
        (
            "wrong subtotal",
            with("/items/0/subtotal", json!(60)),
            Some("items[0].subtotal"),
        ),
        ("right total", with("/totalAmount", json!(109.97)), None),
        (
            "wrong total",
            with("/totalAmount", json!(100)),
            Some("totalAmount"),
        ),
    ];
    for (what, body, expected) in cases {
        let fields = fields_of(&body);
        match expected {
            None => assert!(fields.is_empty(), "{what}: expected valid, got {fields:?}"),
            Some(field) => assert_eq!(fields, vec![field.to_owned()], "{what}"),
        }
    }
}

#[test]
fn names_a_missing_required_field_as_missing() {
    for field in ["customerName", "customerEmail", "items"] {
        let errors = errors_of(&without(field));
        assert_eq!(errors.len(), 1, "{field}: {errors:?}");
        assert_eq!(errors[0].field, field);
        assert_eq!(errors[0].message, format!("{field} is required"));
    }
    let mut order = valid_order();
    order["items"][1] = json!({"productName": "nothing else"});
    let errors = errors_of(&order);
    let fields: Vec<_> = errors
        .iter()
        .map(|e| (e.field.as_str(), e.message.as_str()))
        .collect();
    assert_eq!(
        fields,
        vec![
            ("items[1].price", "price is required"),
            ("items[1].productId", "productId is required"),
            ("items[1].quantity", "quantity is required"),
        ]
    );
}

#[test]
fn reports_every_violation_together() {
    let body = json!({
        "customerName": "J",
        "customerEmail": "nope",
        "items": [item(json!(0), json!(1)), item(json!(1), json!(0))],
        "totalAmount": 5
    });
    let fields = fields_of(&body);
    assert_eq!(
        fields,
        vec![
            "customerEmail",
            "customerName",
            "items[0].quantity",
            "items[1].price"
        ],
        "the total cannot be checked while items are invalid"
    );
    assert!(errors_of(&body).iter().all(|e| !e.message.is_empty()));
}

#[test]
fn names_a_value_of_the_wrong_type_at_its_path() {
    let errors = errors_of(&with("/items/1/quantity", json!("two")));
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].field, "items[1].quantity");
    assert!(
        errors[0].message.contains("wrong type"),
        "{}",
        errors[0].message
    );
    assert_eq!(
        fields_of(&with("/customerName", json!(42))),
        vec!["customerName"]
    );
    assert_eq!(fields_of(&with("/items", json!({"a": 1}))), vec!["items"]);
    let errors = errors_of(&with("/items/0", json!("PROD-1")));
    assert_eq!(errors[0].field, "items[0]");
    assert_eq!(
        errors[0].message,
        "items[0] has the wrong type; expected an object"
    );
    let errors = errors_of(&with("/items/0/price", json!([1])));
    assert_eq!(
        errors[0].message,
        "price has the wrong type; expected a number"
    );
}

#[test]
fn refuses_what_is_not_a_json_object() {
    for body in [
        "",
        "{",
        "not json",
        "[1,2]",
        "\"order\"",
        "null",
        "{\"a\":1,}",
    ] {
        match parse_order(body.as_bytes()) {
            Err(OrderRejection::MalformedJson(message)) => assert!(!message.is_empty()),
            other => panic!("{body:?}: expected malformed JSON, got {other:?}"),
        }
    }
}

#[test]
fn keeps_money_exact() {
    let body = with("/items", json!([item(json!(3), json!(0.10))]));
    let order = parse_order(body.to_string().as_bytes()).unwrap();
    assert_eq!(order.total().amount(), Decimal::new(3, 1));
    assert_eq!(serde_json::to_string(&order.total()).unwrap(), "0.3");
}

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
