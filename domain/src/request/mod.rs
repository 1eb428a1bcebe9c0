//! The edge: raw `POST /order` JSON becomes a [`NewOrder`] or a list of every
//! violation, each at its JSON path (`items[3].price`).
//!
//! One pass over the body with serde_json's streaming deserializer and our
//! own visitors: no `serde_json::Value` in between, strings borrowed from the
//! body, numbers taken as their literal text so money is never an `f64`.
//! Every field is read whatever its JSON type, so a wrong type is one more
//! violation at its path rather than the end of the parse.
//!
//! # Layout
//!
//! - `body`: the top-level object (customer, items, total) and the order it
//!   becomes.
//! - `items`: the `items` array and each item's line and subtotal.
//! - `value`: reading a field of any JSON type into a `Slot`;
//!   numbers as literal text.
//! - `keys`: repeated keys at any depth, and reading values we do not keep.
//! - `number`: money and quantities from a number's literal, exactly.
//! - `text`: the rules of `customerId`, `productId` and `productName`.
//! - `errors`: [`FieldError`], [`OrderRejection`] and the JSON path.

mod body;
mod errors;
mod items;
mod keys;
mod number;
mod text;
mod value;

use serde::de::DeserializeSeed;

pub use errors::{FieldError, OrderRejection};

use super::NewOrder;
use body::Body;
use errors::Violations;

/// Parses a request body into a valid order, or says everything that is wrong.
pub fn parse_order(body: &[u8]) -> Result<NewOrder, OrderRejection> {
    // JSON is UTF-8 (RFC 8259). Checking the whole body at once, rather than
    // string by string as `from_slice` does, is a fifth of the parse time.
    let body = std::str::from_utf8(body).map_err(|e| {
        OrderRejection::MalformedJson(format!(
            "the body is not valid UTF-8 (at byte {})",
            e.valid_up_to()
        ))
    })?;
    let mut violations = Violations::default();
    let mut json = serde_json::Deserializer::from_str(body);
    let order = Body::new(&mut violations)
        .deserialize(&mut json)
        .and_then(|order| json.end().map(|()| order))
        .map_err(malformed)?;
    match order {
        Some(order) if violations.is_empty() => Ok(order),
        // A field that could not be read always left a violation behind.
        _ => Err(OrderRejection::Invalid(violations.into_sorted())),
    }
}

/// serde_json's own errors are syntax (or an early end); the only data error
/// is ours, from a body that is valid JSON but not an object.
fn malformed(error: serde_json::Error) -> OrderRejection {
    let message = if error.is_data() {
        "the body must be a JSON object".to_owned()
    } else {
        error.to_string()
    };
    OrderRejection::MalformedJson(message)
}
