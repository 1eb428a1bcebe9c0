//! The `Idempotency-Key` header, parsed.

use axum::http::HeaderMap;

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

    /// The key in the shared idempotency table, namespaced to this API.
    pub fn store_key(&self) -> String {
        format!("order-api#{}", self.0)
    }
}
