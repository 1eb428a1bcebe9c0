//! A panic in a handler is a bug, and still a request to answer: with the
//! contract's JSON 500 and its request id, never the gateway's 502 or a
//! dropped connection. The panic is logged once, as any server error is.

use std::any::Any;

use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::request_id::{self, RequestId};

/// `tower_http::catch_panic`'s answer.
pub fn answer(panic: Box<dyn Any + Send + 'static>) -> Response {
    let message = runtime::panic_message(&*panic);
    let request_id = request_id::current().unwrap_or_else(RequestId::fresh);
    ApiError::internal(format!("the handler panicked: {message}"))
        .for_request(&request_id)
        .into_response()
}
