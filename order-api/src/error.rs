//! Every way a request can fail, and the one place each becomes a status and
//! a body. Client errors explain themselves; server errors leak nothing but
//! the request id, and are logged once with their whole cause chain.

use std::any::Any;

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use domain::FieldError;
use ports::error_chain;
use runtime::metrics::{counter, name};
use serde::Serialize;

use crate::{request_id, MAX_BODY_BYTES};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("The body is not valid JSON: {0}")]
    MalformedJson(String),
    #[error("The order is not valid")]
    Validation(Vec<FieldError>),
    #[error("Content-Type must be application/json")]
    UnsupportedMediaType,
    #[error("The body must be at most {MAX_BODY_BYTES} bytes")]
    PayloadTooLarge,
    #[error("The body could not be read")]
    UnreadableBody(#[source] axum::Error),
    #[error("The Idempotency-Key header {0}")]
    InvalidIdempotencyKey(&'static str),
    #[error("This Idempotency-Key was already used with a different request body")]
    IdempotencyKeyReused,
    #[error("Sign-in is required")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(#[source] crate::caller::CallerError),
    #[error("No such resource; the API serves POST /order")]
    NotFound,
    #[error("This resource allows POST and OPTIONS only")]
    MethodNotAllowed,
    #[error("Failed to process order")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    pub fn internal(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        ApiError::Internal(error.into())
    }

    /// The status, and the `error` field's title, stable for a client to switch on.
    fn status_and_title(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::MalformedJson(_) => (StatusCode::BAD_REQUEST, "Malformed JSON"),
            ApiError::Validation(_) => (StatusCode::BAD_REQUEST, "Validation failed"),
            ApiError::UnreadableBody(_) => (StatusCode::BAD_REQUEST, "Bad request"),
            ApiError::InvalidIdempotencyKey(_) => {
                (StatusCode::BAD_REQUEST, "Invalid Idempotency-Key")
            }
            ApiError::UnsupportedMediaType => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "Unsupported media type")
            }
            ApiError::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "Payload too large"),
            ApiError::IdempotencyKeyReused => {
                (StatusCode::UNPROCESSABLE_ENTITY, "Idempotency key reused")
            }
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, "Unauthorized"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "Forbidden"),
            ApiError::NotFound => (StatusCode::NOT_FOUND, "Not found"),
            ApiError::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "Method not allowed"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "Internal server error"),
        }
    }
}

/// Every error's body: a short title to switch on, what to do, and the id to
/// quote when reporting it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub(crate) struct ErrorBody<'a> {
    /// A stable title: `Validation failed`, `Malformed JSON`, `Not found`, …
    pub(crate) error: &'static str,
    /// What went wrong, in words (every error but `Validation failed`).
    /// Left out when absent, never `null`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub(crate) message: Option<String>,
    /// Every violation with its JSON path (`Validation failed` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = Option<Vec<FieldError>>, nullable = false)
    )]
    pub(crate) errors: Option<&'a [FieldError]>,
    /// The request's id: in the `x-request-id` header and in the logs too.
    pub(crate) request_id: &'a str,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, title) = self.status_and_title();
        let mut errors = None;
        match &self {
            ApiError::Internal(cause) => {
                counter!(name::ORDERS_FAILED).increment(1);
                tracing::error!(
                    error = %error_chain(cause.as_ref()),
                    "request failed: {self}"
                )
            }
            ApiError::Validation(found) => {
                errors = Some(found.as_slice());
                counter!(name::VALIDATION_ERRORS).increment(1);
                tracing::info!(
                    errors = %serde_json::to_string(found).unwrap_or_default(),
                    "order rejected: {} validation error(s)",
                    found.len()
                );
                // One line per field, for the dashboard's top validation errors; the
                // index is dropped so `items[3].price` and `items[0].price` count together.
                for error in found {
                    tracing::info!(invalidField = %field_kind(&error.field), "invalid field");
                }
            }
            other => tracing::info!(status = status.as_u16(), "request rejected: {other}"),
        }
        let body = ErrorBody {
            error: title,
            message: errors.is_none().then(|| self.to_string()),
            errors,
            request_id: &request_id::current().id,
        };
        let allow = matches!(self, ApiError::MethodNotAllowed);
        let allow = allow.then_some([(header::ALLOW, "POST, OPTIONS")]);
        (status, allow, Json(body)).into_response()
    }
}

/// `tower_http::catch_panic`'s answer: the contract's JSON 500, never a 502.
pub fn answer_panic(panic: Box<dyn Any + Send + 'static>) -> Response {
    let message = runtime::panic_message(&*panic);
    ApiError::internal(format!("the handler panicked: {message}")).into_response()
}

/// `items[3].price` → `items[].price`: the kind of field, not the instance.
fn field_kind(path: &str) -> String {
    let mut in_index = false;
    let mut kind = String::with_capacity(path.len());
    for c in path.chars() {
        in_index &= c != ']';
        if !in_index {
            kind.push(c);
        }
        in_index |= c == '[';
    }
    kind
}

#[cfg(test)]
mod tests {
    use super::field_kind;

    #[test]
    fn a_field_is_counted_by_its_kind_not_its_index() {
        assert_eq!(field_kind("items[3].price"), "items[].price");
        assert_eq!(field_kind("customerEmail"), "customerEmail");
    }
}
