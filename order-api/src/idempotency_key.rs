//! The `Idempotency-Key` header, parsed, and the order it names.

use axum::http::HeaderMap;
use domain::OrderId;
use uuid::Uuid;

/// The UUIDv5 namespace of the order ids keys name. Fixed for good: a retry
/// sent before a change would name another order and be placed twice.
const ORDER_KEYS: Uuid = Uuid::from_u128(0xaa94_92cb_0de7_4931_8a2e_755c_de72_1a94);

/// A client-chosen key: 1–255 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub const HEADER: &'static str = "idempotency-key";

    /// `Ok(None)` when the header is absent; an error says what is wrong with it.
    pub fn from_headers(headers: &HeaderMap) -> Result<Option<IdempotencyKey>, &'static str> {
        let Some(value) = headers.get(Self::HEADER) else {
            return Ok(None);
        };
        let text = value
            .to_str()
            .map_err(|_| "must be visible ASCII characters")?;
        Self::parse(text).map(Some)
    }

    pub fn parse(text: &str) -> Result<IdempotencyKey, &'static str> {
        if text.is_empty() || text.len() > 255 {
            return Err("must be 1 to 255 characters long");
        }
        if !text.bytes().all(|b| b.is_ascii_graphic()) {
            return Err("must be visible ASCII characters without spaces");
        }
        Ok(IdempotencyKey(text.to_owned()))
    }

    /// The order this key names: a UUIDv5 of the key, then a space and the
    /// signed-in `caller` (the token's `sub`), if any. A key has no space, so
    /// no two (key, caller) pairs, with or without a caller, make one name.
    pub fn order_id(&self, caller: Option<&str>) -> OrderId {
        let name = match caller {
            None => self.0.clone(),
            Some(caller) => format!("{} {caller}", self.0),
        };
        Uuid::new_v5(&ORDER_KEYS, name.as_bytes()).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(text: &str) -> IdempotencyKey {
        IdempotencyKey::parse(text).expect("a valid key")
    }

    #[test]
    fn a_key_names_one_order_for_good() {
        let id = key("3f2c-retry").order_id(None);
        assert_eq!(id, key("3f2c-retry").order_id(None));
        assert_eq!(id.as_uuid().get_version_num(), 5);
        // Fixed: a change here would place every in-flight retry twice.
        assert_eq!(id.to_string(), "f6e9f063-1af2-5dbe-80d2-5d528e65daab");
        assert_ne!(id, key("3f2c-retrz").order_id(None));
    }

    #[test]
    fn two_callers_keys_never_name_the_same_order() {
        let (ada, bob) = (Some("sub-ada"), Some("sub-bob"));
        assert_ne!(key("k").order_id(ada), key("k").order_id(bob));
        assert_ne!(key("k").order_id(ada), key("k").order_id(None));
        // The key ends at the first space of the name, as no key has one.
        assert!(IdempotencyKey::parse("a b").is_err());
    }
}
