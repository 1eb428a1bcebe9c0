//! What the order-parsing tests share: a valid order and ways to spoil it.

use domain::{parse_order, FieldError, OrderRejection};
use serde_json::{json, Value};

pub fn valid_order() -> Value {
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
pub fn with(path: &str, value: Value) -> Value {
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

pub fn without(field: &str) -> Value {
    let mut order = valid_order();
    order.as_object_mut().expect("an object").remove(field);
    order
}

pub fn errors_of(body: &Value) -> Vec<FieldError> {
    match parse_order(body.to_string().as_bytes()) {
        Ok(_) => Vec::new(),
        Err(OrderRejection::Invalid(errors)) => errors,
        Err(other) => panic!("expected validation errors, got {other:?}"),
    }
}

/// The valid order as text, with the value at `path` written as `raw` —
/// for number literals `json!` cannot spell (`1e2`, `19.990`) and bodies
/// that are not what a JSON library would write.
pub fn with_raw(path: &str, raw: &str) -> String {
    with(path, json!("@raw@"))
        .to_string()
        .replace(r#""@raw@""#, raw)
}

/// `(field, message)` of every error, in order.
pub fn reported(body: &str) -> Vec<(String, String)> {
    match parse_order(body.as_bytes()) {
        Ok(_) => Vec::new(),
        Err(OrderRejection::Invalid(errors)) => {
            errors.into_iter().map(|e| (e.field, e.message)).collect()
        }
        Err(other) => panic!("expected validation errors, got {other:?}"),
    }
}

pub fn one(field: &str, message: &str) -> Vec<(String, String)> {
    vec![(field.to_owned(), message.to_owned())]
}

pub fn fields_of(body: &Value) -> Vec<String> {
    errors_of(body).into_iter().map(|e| e.field).collect()
}

pub fn item(quantity: Value, price: Value) -> Value {
    json!({"productId": "P", "quantity": quantity, "price": price})
}
