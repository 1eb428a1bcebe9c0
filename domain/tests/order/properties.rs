//! Properties of the parser: every valid order passes, and breaking any one
//! field is reported at that field, and only there; money is exact to the
//! literal; control characters and repeated keys never get through; no input
//! makes it panic.

use domain::{parse_order, FieldError, OrderRejection};
use proptest::prelude::*;
use proptest::sample::Index;
use rust_decimal::Decimal;
use serde_json::{json, Value};

fn price() -> impl Strategy<Value = Decimal> {
    (1i64..=99_999_999).prop_map(|cents| Decimal::new(cents, 2))
}

fn item() -> impl Strategy<Value = Value> {
    ("[A-Z]{1,5}-[0-9]{1,5}", proptest::option::of("[a-zA-Z ]{0,30}"), 1i64..=1000, price(), any::<bool>())
        .prop_map(|(product_id, product_name, quantity, price, send_subtotal)| {
            let mut item = json!({"productId": product_id, "quantity": quantity, "price": price.to_string().parse::<f64>().expect("a price is a float")});
            if let Some(name) = product_name {
                item["productName"] = json!(name);
            }
            if send_subtotal {
                item["subtotal"] = json!((price * Decimal::from(quantity)).normalize().to_string().parse::<f64>().expect("a subtotal is a float"));
            }
            item
        })
}

fn valid_order() -> impl Strategy<Value = Value> {
    (
        "[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ .'-]{0,97}[A-Za-zÀ-ÿ]",
        // A dot-atom: dots only between characters (`a.@x.com` is undeliverable).
        "[a-z][a-z0-9_]{0,9}(\\.[a-z0-9_]{1,9})?@[a-z]{1,10}\\.(com|org|io)",
        proptest::option::of("[A-Z0-9-]{1,20}"),
        proptest::collection::vec(item(), 1..=50),
    )
        .prop_map(|(name, email, customer_id, items)| {
            let mut order = json!({"customerName": name, "customerEmail": email, "items": items});
            if let Some(id) = customer_id {
                order["customerId"] = json!(id);
            }
            order
        })
}

/// One way to break one field: the JSON pointer, the value, the reported path.
fn breakage(items: usize) -> impl Strategy<Value = (String, Value, String)> {
    let index = 0..items;
    prop_oneof![
        Just((
            "/customerName".to_owned(),
            json!("J"),
            "customerName".to_owned()
        )),
        "[a-z]{101,120}".prop_map(|n| (
            "/customerName".to_owned(),
            json!(n),
            "customerName".to_owned()
        )),
        Just((
            "/customerName".to_owned(),
            Value::Null,
            "customerName".to_owned()
        )),
        "[a-z]{1,10}".prop_map(|e| (
            "/customerEmail".to_owned(),
            json!(e),
            "customerEmail".to_owned()
        )),
        Just(("/items".to_owned(), json!([]), "items".to_owned())),
        (
            index.clone(),
            prop_oneof![Just(0i64), Just(-3), 1001i64..100_000]
        )
            .prop_map(|(i, q)| (
                format!("/items/{i}/quantity"),
                json!(q),
                format!("items[{i}].quantity")
            )),
        (
            index.clone(),
            prop_oneof![Just(0.0f64), Just(-1.5), Just(1_000_000.0), Just(0.001)]
        )
            .prop_map(|(i, p)| (
                format!("/items/{i}/price"),
                json!(p),
                format!("items[{i}].price")
            )),
        index.clone().prop_map(|i| (
            format!("/items/{i}/productId"),
            json!(""),
            format!("items[{i}].productId")
        )),
        index.prop_map(|i| (
            format!("/items/{i}/price"),
            Value::Null,
            format!("items[{i}].price")
        )),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn any_valid_order_is_accepted_with_exact_totals(order in valid_order()) {
        let parsed = parse_order(order.to_string().as_bytes());
        prop_assert!(parsed.is_ok(), "{:?}", parsed);
        let parsed = parsed.unwrap();
        let expected: Decimal = order["items"].as_array().unwrap().iter()
            .map(|i| Decimal::from(i["quantity"].as_i64().unwrap()) * i["price"].to_string().parse::<Decimal>().unwrap())
            .sum();
        prop_assert_eq!(parsed.total().amount(), expected);
    }

    #[test]
    fn breaking_one_field_is_reported_at_that_field(
        (order, (pointer, value, path)) in valid_order().prop_flat_map(|order| {
            let items = order["items"].as_array().map_or(1, Vec::len);
            (Just(order), breakage(items))
        })
    ) {
        let mut order = order;
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        match order.pointer_mut(parent).unwrap() {
            Value::Object(map) => { map.insert(key.to_owned(), value); }
            Value::Array(list) => list[key.parse::<usize>().unwrap()] = value,
            _ => unreachable!(),
        }
        match parse_order(order.to_string().as_bytes()) {
            Err(OrderRejection::Invalid(errors)) => {
                let fields: Vec<_> = errors.iter().map(|e| e.field.clone()).collect();
                prop_assert_eq!(fields, vec![path]);
            }
            other => prop_assert!(false, "expected a validation error, got {:?}", other),
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = parse_order(&body);
    }
}

/// A JSON number literal: an optional sign, integer digits, fraction digits,
/// trailing zeros and an exponent, weighted towards the edges of the rules.
fn number_literal() -> impl Strategy<Value = String> {
    (
        prop_oneof![3 => Just(""), 1 => Just("-")],
        prop_oneof![Just("0".to_owned()), "[1-9][0-9]{0,5}", "[1-9][0-9]{6,35}"],
        prop_oneof![Just(String::new()), "[0-9]{1,2}", "[0-9]{3,35}"],
        prop_oneof![Just(0usize), 1usize..4, 25usize..40],
        prop_oneof![3 => Just(String::new()), 1 => "[eE][+-]?[0-9]{1,3}"],
    )
        .prop_map(|(sign, whole, fraction, zeros, exponent)| {
            let fraction = format!("{fraction}{}", "0".repeat(zeros));
            let point = if fraction.is_empty() { "" } else { "." };
            format!("{sign}{whole}{point}{fraction}{exponent}")
        })
}

/// What the contract says of a price literal, worked out from its text alone:
/// no sign, no exponent, at most 6 + 2 significant digits, not zero.
fn price_is_valid(literal: &str) -> bool {
    if literal.starts_with('-') || literal.contains(['e', 'E']) {
        return false;
    }
    let (whole, fraction) = literal.split_once('.').unwrap_or((literal, ""));
    let fraction = fraction.trim_end_matches('0');
    let zero = whole.bytes().chain(fraction.bytes()).all(|b| b == b'0');
    fraction.len() <= 2 && whole.len() <= 6 && !zero
}

/// The literal as an exact decimal prints it: `1.500` → `1.5`, `7.00` → `7`.
fn canonical(literal: &str) -> String {
    match literal.split_once('.') {
        Some((whole, fraction)) => match fraction.trim_end_matches('0') {
            "" => whole.to_owned(),
            fraction => format!("{whole}.{fraction}"),
        },
        None => literal.to_owned(),
    }
}

/// The text fields: their JSON pointer and the path errors name.
const TEXT_FIELDS: [(&str, &str); 5] = [
    ("/customerId", "customerId"),
    ("/customerName", "customerName"),
    ("/customerEmail", "customerEmail"),
    ("/items/0/productId", "items[0].productId"),
    ("/items/0/productName", "items[0].productName"),
];

fn control_character() -> impl Strategy<Value = char> {
    prop_oneof![0u32..=0x1f, Just(0x7f), 0x80u32..=0x9f]
        .prop_map(|c| char::from_u32(c).expect("a control character is a char"))
}

fn set(order: &mut Value, pointer: &str, value: Value) {
    let (parent, key) = pointer.rsplit_once('/').expect("a JSON pointer");
    match order.pointer_mut(parent).expect("the parent exists") {
        Value::Object(map) => {
            map.insert(key.to_owned(), value);
        }
        Value::Array(list) => list[key.parse::<usize>().expect("an index")] = value,
        _ => unreachable!("{pointer} is inside an object or array"),
    }
}

fn count_keys(value: &Value) -> usize {
    match value {
        Value::Object(map) => map.len() + map.values().map(count_keys).sum::<usize>(),
        Value::Array(list) => list.iter().map(count_keys).sum(),
        _ => 0,
    }
}

/// Writes `value` as JSON with its `target`-th key (depth first) written
/// twice, the same value both times; returns the repeated key's path.
fn write_repeating(
    value: &Value,
    path: &str,
    target: usize,
    seen: &mut usize,
    out: &mut String,
) -> Option<String> {
    let mut found = None;
    match value {
        Value::Object(map) => {
            out.push('{');
            let mut first = true;
            for (key, value) in map {
                let here = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                let copies = if *seen == target {
                    found = Some(here.clone());
                    2
                } else {
                    1
                };
                *seen += 1;
                let mut inner = String::new();
                found = found.or(write_repeating(value, &here, target, seen, &mut inner));
                for _ in 0..copies {
                    if !first {
                        out.push(',');
                    }
                    first = false;
                    out.push_str(&format!("{}:{inner}", Value::from(key.as_str())));
                }
            }
            out.push('}');
        }
        Value::Array(list) => {
            out.push('[');
            for (index, value) in list.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                let here = format!("{path}[{index}]");
                found = found.or(write_repeating(value, &here, target, seen, out));
            }
            out.push(']');
        }
        leaf => out.push_str(&leaf.to_string()),
    }
    found
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn a_price_literal_is_kept_exactly_or_rejected_at_the_price(literal in number_literal()) {
        let body = format!(
            r#"{{"customerName":"Ada Lovelace","customerEmail":"ada@example.com","items":[{{"productId":"P-1","quantity":1,"price":{literal}}}]}}"#
        );
        match parse_order(body.as_bytes()) {
            Ok(order) => {
                prop_assert!(price_is_valid(&literal), "accepted {}", literal);
                let price = order.items[0].price;
                if let Ok(exact) = Decimal::from_str_exact(&literal) {
                    prop_assert_eq!(price.amount(), exact);
                }
                prop_assert_eq!(price.to_string(), canonical(&literal));
            }
            Err(OrderRejection::Invalid(errors)) => {
                prop_assert!(!price_is_valid(&literal), "rejected {}: {:?}", literal, errors);
                let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
                prop_assert_eq!(fields, vec!["items[0].price"]);
            }
            Err(other) => prop_assert!(false, "{}: {:?}", literal, other),
        }
    }

    #[test]
    fn a_control_character_in_any_text_field_is_rejected(
        order in valid_order(),
        field in 0..TEXT_FIELDS.len(),
        text in "\\PC{0,30}",
        at in any::<Index>(),
        control in control_character(),
    ) {
        let (pointer, path) = TEXT_FIELDS[field];
        let mut chars: Vec<char> = text.chars().collect();
        chars.insert(at.index(chars.len() + 1), control);
        let mut order = order;
        set(&mut order, pointer, json!(chars.into_iter().collect::<String>()));
        let name = path.rsplit('.').next().unwrap_or(path);
        match parse_order(order.to_string().as_bytes()) {
            Err(OrderRejection::Invalid(errors)) => prop_assert_eq!(errors, vec![FieldError {
                field: path.to_owned(),
                message: format!("{name} must not contain control characters"),
            }]),
            other => prop_assert!(false, "expected a validation error, got {:?}", other),
        }
    }

    #[test]
    fn repeating_any_key_of_a_valid_order_is_rejected_at_that_key(
        order in valid_order(),
        which in any::<Index>(),
    ) {
        let mut body = String::new();
        let target = which.index(count_keys(&order));
        let path = write_repeating(&order, "", target, &mut 0, &mut body).expect("a key");
        let key = path.rsplit('.').next().unwrap_or(&path);
        match parse_order(body.as_bytes()) {
            Err(OrderRejection::Invalid(errors)) => prop_assert_eq!(errors, vec![FieldError {
                message: format!("{key} appears more than once"),
                field: path,
            }]),
            other => prop_assert!(false, "expected a validation error, got {:?}", other),
        }
    }

    #[test]
    fn a_valid_body_cut_short_is_malformed(order in valid_order(), at in any::<Index>()) {
        let body = order.to_string();
        let cut = &body.as_bytes()[..at.index(body.len())];
        prop_assert!(
            matches!(parse_order(cut), Err(OrderRejection::MalformedJson(_))),
            "{}", String::from_utf8_lossy(cut)
        );
    }
}
