//! Every rule of the `POST /order` contract, at both sides of every bound.

use domain::{parse_order, OrderRejection};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::{json, Value};

use crate::support::*;

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
fn names_an_item_that_is_null_as_the_wrong_type() {
    // It once vanished from the order: `[null]` was an order of no lines.
    for (items, field) in [
        (json!([null]), "items[0]"),
        (json!([item(json!(1), json!(1)), null]), "items[1]"),
    ] {
        let errors = errors_of(&with("/items", items));
        let reported: Vec<_> = errors
            .iter()
            .map(|e| (e.field.as_str(), e.message.as_str()))
            .collect();
        let message = format!("{field} has the wrong type; expected an object");
        assert_eq!(reported, vec![(field, message.as_str())]);
    }
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
