//! The id of a request: API Gateway's in Lambda, the caller's `x-request-id`
//! or a fresh UUID locally. It is in every error body, in the
//! `x-request-id` response header and in every log line of the request.

use std::convert::Infallible;
use std::fmt;

use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use lambda_http::request::RequestContext;
use lambda_http::RequestExt;
use tracing::Instrument;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(String);

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl RequestId {
    fn of(request: &Request) -> RequestId {
        let from_gateway = request
            .request_context_ref()
            .and_then(|context| match context {
                RequestContext::ApiGatewayV1(context) => context.request_id.clone(),
                #[allow(unreachable_patterns)] // other event sources, when their features are on
                _ => None,
            });
        let id = from_gateway
            .or_else(|| request.lambda_context_ref().map(|c| c.request_id.clone()))
            .or_else(|| {
                request
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .filter(|v| !v.is_empty() && v.len() <= 128)
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        RequestId(id)
    }

    /// The correlation id: the caller's `x-correlation-id`, or this request's id.
    pub fn correlation_id(&self, parts: &axum::http::HeaderMap) -> String {
        parts
            .get("x-correlation-id")
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty() && v.len() <= 128)
            .map_or_else(|| self.0.clone(), str::to_owned)
    }
}

/// Gives each request its id and a span that carries it.
pub async fn assign(mut request: Request, next: Next) -> Response {
    let id = RequestId::of(&request);
    request.extensions_mut().insert(id.clone());
    let span = tracing::info_span!("request", requestId = %id, method = %request.method(), path = %request.uri().path());
    let mut response = next.run(request).instrument(span).await;
    if let Ok(value) = HeaderValue::from_str(&id.0) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

impl<S: Send + Sync> FromRequestParts<S> for RequestId {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        // The middleware always runs first; a fresh id is only a safety net.
        Ok(parts
            .extensions
            .get::<RequestId>()
            .cloned()
            .unwrap_or_else(|| RequestId(uuid::Uuid::new_v4().to_string())))
    }
}
