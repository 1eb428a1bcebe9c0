//! HTTP: the `POST /order` handler and the answers for everything else. Its
//! checks run cheapest first, each failure the client's to fix (ARCHITECTURE.md,
//! "The request path"); only then is anything stored.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Extension, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{TimeDelta, Utc};
use domain::{parse_order, OrderRejection};
use ports::{EventPublisher, OrderRepository};

use crate::caller::{AuthMode, Caller, CallerError};
use crate::error::ApiError;
use crate::idempotency_key::IdempotencyKey;
use crate::place_order::{OrderService, PlaceError, Placed};
use crate::{request_id, MAX_BODY_BYTES};
use runtime::invocation_deadline;
use runtime::metrics::{counter, name};

/// A local request's budget: the function's timeout in the template.
const LOCAL_BUDGET: TimeDelta = TimeDelta::seconds(10);
/// Kept back from the deadline to write the answer.
const ANSWER_MARGIN: Duration = Duration::from_millis(500);

pub async fn post_order<R: OrderRepository + 'static, P: EventPublisher + 'static>(
    State(service): State<Arc<OrderService<R, P>>>,
    Extension(auth): Extension<AuthMode>,
    request: Request,
) -> Result<Response, ApiError> {
    counter!(name::ORDERS_RECEIVED).increment(1);
    // The invocation's deadline (locally a budget), cut off just before: our answer, not a 504.
    let invocation = request.extensions().get::<lambda_http::Context>();
    let deadline = invocation.map_or_else(|| Utc::now() + LOCAL_BUDGET, invocation_deadline);
    let (parts, body) = request.into_parts();
    let headers = &parts.headers;
    if !is_json(headers) {
        return Err(ApiError::UnsupportedMediaType);
    }
    let body = read_body(headers, body).await?;
    let order = parse_order(&body).map_err(|rejection| match rejection {
        OrderRejection::MalformedJson(message) => ApiError::MalformedJson(message),
        OrderRejection::Invalid(errors) => ApiError::Validation(errors),
    })?;
    let (order, caller) = match auth {
        AuthMode::Open => (order, None),
        AuthMode::Cognito => Caller::from_parts(&parts)
            .and_then(|caller| Ok((caller.own(order)?, Some(caller.subject))))
            .map_err(|e| match e {
                CallerError::NotSignedIn => ApiError::Unauthorized,
                other => ApiError::Forbidden(other),
            })?,
    };
    let key = IdempotencyKey::from_headers(headers).map_err(ApiError::InvalidIdempotencyKey)?;
    let named = key.map(|key| key.order_id(caller.as_deref()));
    let request_id = request_id::current();
    let placing = service.place(order, named, &request_id.correlation_id, deadline);
    let budget = ports::time_left(deadline).saturating_sub(ANSWER_MARGIN);
    let placed = tokio::time::timeout(budget, placing)
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| match e {
            PlaceError::KeyReused => ApiError::IdempotencyKeyReused,
            other => ApiError::internal(other),
        })?;
    Ok(match placed {
        Placed::Created(confirmation) => {
            counter!(name::ORDERS_PROCESSED).increment(1);
            tracing::info!(orderId = %confirmation.order_id, "order accepted");
            (StatusCode::OK, Json(confirmation)).into_response()
        }
        Placed::Replayed(confirmation) => {
            counter!(name::IDEMPOTENT_REPLAYS).increment(1);
            tracing::info!(orderId = %confirmation.order_id, "order replayed for a repeated Idempotency-Key");
            let replayed = [("idempotent-replayed", "true")];
            (StatusCode::OK, replayed, Json(confirmation)).into_response()
        }
    })
}

/// `application/json`, with or without parameters such as `charset`.
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
}

/// Reads at most [`MAX_BODY_BYTES`]; a declared or actual excess is a 413.
async fn read_body(headers: &HeaderMap, body: Body) -> Result<axum::body::Bytes, ApiError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > MAX_BODY_BYTES as u64) {
        return Err(ApiError::PayloadTooLarge);
    }
    axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|e| {
            let too_large = std::error::Error::source(&e)
                .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
            if too_large {
                ApiError::PayloadTooLarge
            } else {
                ApiError::UnreadableBody(e)
            }
        })
}

/// `OPTIONS /order` without CORS headers: say what the route allows.
pub async fn options_order() -> Response {
    (StatusCode::NO_CONTENT, [(header::ALLOW, "POST, OPTIONS")]).into_response()
}

/// `GET /openapi.json`: the API's description, for client generators.
pub async fn openapi_document() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        crate::DOCUMENT,
    )
}
