//! Properties of the parser: every valid order passes, and breaking any one
//! field is reported at that field, and only there.

use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use shared::domain::{parse_order, OrderRejection};

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
