//! The id of a request (API Gateway's, else the caller's `x-request-id`, else
//! a fresh UUID): in every error body, log line and `x-request-id` header.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use lambda_http::request::RequestContext;
use lambda_http::RequestExt;
use tracing::Instrument;

/// The request's id, and its correlation id: the caller's `x-correlation-id`, or the id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId {
    pub id: String,
    pub correlation_id: String,
}

fn header_text<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty() && v.len() <= 128)
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
            .or_else(|| header_text(request, "x-request-id").map(str::to_owned))
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let correlation_id =
            header_text(request, "x-correlation-id").map_or_else(|| id.clone(), str::to_owned);
        RequestId { id, correlation_id }
    }
}

tokio::task_local! {
    static CURRENT: RequestId;
}

/// The id of the request this task is handling (outside one, a fresh id).
pub fn current() -> RequestId {
    CURRENT.try_with(RequestId::clone).unwrap_or_else(|_| {
        let id = uuid::Uuid::new_v4().to_string();
        let correlation_id = id.clone();
        RequestId { id, correlation_id }
    })
}

/// Gives each request its id and a span that carries it.
pub async fn assign(request: Request, next: Next) -> Response {
    let id = RequestId::of(&request);
    let span = tracing::info_span!(
        "request",
        requestId = %id.id,
        correlationId = %id.correlation_id,
        method = %request.method(),
        path = %request.uri().path()
    );
    let mut response = CURRENT
        .scope(id.clone(), next.run(request).instrument(span))
        .await;
    if let Ok(value) = HeaderValue::from_str(&id.id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}
