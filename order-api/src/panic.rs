//! A panic in a handler is a bug, and still a request to answer: with the
//! contract's JSON 500 and its request id, never the gateway's 502 or a
//! dropped connection. The panic is logged once, as any server error is.

use std::any::Any;

use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// `tower_http::catch_panic`'s answer.
pub fn answer(panic: Box<dyn Any + Send + 'static>) -> Response {
    let message = runtime::panic_message(&*panic);
    ApiError::internal(format!("the handler panicked: {message}")).into_response()
}
