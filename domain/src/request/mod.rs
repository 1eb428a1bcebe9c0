//! Parsing the request: raw `POST /order` JSON becomes a [`NewOrder`] or every
//! violation. By hand (docs/decisions/0002): serde's derive would read money as
//! `f64` and stop at the first problem; here money comes from the number's digits,
//! and every violation is reported at its JSON path (`items[3].price`). `fields`
//! is the contract, one line per field; `json` reads each raw value as its type.

mod errors;
mod fields;
mod json;
mod number;
mod text;

pub use errors::{FieldError, OrderRejection};

use super::NewOrder;
use json::{Object, Parser};

/// Parses a request body into a valid order, or says everything that is wrong.
pub fn parse_order(body: &[u8]) -> Result<NewOrder, OrderRejection> {
    // JSON is UTF-8 (RFC 8259). Checking the whole body at once, rather than
    // string by string as `from_slice` does, is a fifth of the parse time.
    let body = std::str::from_utf8(body).map_err(|e| {
        let at = e.valid_up_to();
        OrderRejection::MalformedJson(format!("the body is not valid UTF-8 (at byte {at})"))
    })?;
    let body: Object = serde_json::from_str(body).map_err(|e| {
        // serde_json's own errors are syntax; its one data error: a body that is no object.
        let message = if e.is_data() {
            "the body must be a JSON object".to_owned()
        } else {
            e.to_string()
        };
        OrderRejection::MalformedJson(message)
    })?;
    let mut parser = Parser::default();
    let order = parser.order(body);
    if let Some(message) = parser.malformed {
        return Err(OrderRejection::MalformedJson(message));
    }
    match order {
        Some(order) if parser.violations.is_empty() => Ok(order),
        // A field that could not be read always left a violation behind.
        _ => Err(OrderRejection::Invalid(parser.violations.into_sorted())),
    }
}
