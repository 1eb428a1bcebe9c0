//! order-api: `POST /order` for the mobile app.
//!
//! # Layout
//!
//! - [`router`]: the axum router, the same in Lambda and on `127.0.0.1:3000`.
//! - `routes`: the handler; `place_order`: the use case over the ports, tested with fakes.
//! - `caller`, `idempotency_key`, `request_id`: what a request carries besides its body.
//! - `error`: every failure, a panic too, as a status and the contract's JSON body.
//! - `openapi` (feature `openapi`) generates [`DOCUMENT`]; [`settings`]: the environment.

mod caller;
mod error;
mod idempotency_key;
#[cfg(feature = "openapi")]
pub mod openapi;
mod place_order;
mod request_id;
mod routes;
pub mod settings;

use std::sync::Arc;

use axum::http::{header, HeaderName, HeaderValue, Method};
use axum::routing::{get, post};
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};

pub use caller::AuthMode;
use error::ApiError;
pub use idempotency_key::IdempotencyKey;
pub use place_order::{fingerprint, OrderService};
use ports::{EventPublisher, OrderRepository};
pub use settings::{ApiSettings, RelayProcessSettings};

/// The API's OpenAPI document as committed (`order-api/openapi.json`).
pub const DOCUMENT: &str = include_str!("../openapi.json");

/// The contract's limit on a request body: 10 KB.
pub const MAX_BODY_BYTES: usize = 10 * 1024;

/// The app: routes, request ids, CORS for `allowed_origins` (`*`: any), and `auth`.
pub fn router<R: OrderRepository + 'static, P: EventPublisher + 'static>(
    service: OrderService<R, P>,
    allowed_origins: &[String],
    auth: AuthMode,
) -> Router {
    Router::new()
        .route(
            "/order",
            post(routes::post_order::<R, P>).options(routes::options_order),
        )
        .route("/openapi.json", get(routes::openapi_document))
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .fallback(|| async { ApiError::NotFound })
        .with_state(Arc::new(service))
        .layer(axum::Extension(auth))
        .layer(CatchPanicLayer::custom(error::answer_panic))
        .layer(cors(allowed_origins))
        .layer(axum::middleware::from_fn(request_id::assign))
}

fn cors(allowed_origins: &[String]) -> CorsLayer {
    let listed = allowed_origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok());
    let origins = if allowed_origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(listed)
    };
    CorsLayer::new()
        .allow_origin(origins)
        .allow_methods([Method::POST, Method::OPTIONS])
        .allow_headers([
            header::CONTENT_TYPE,
            HeaderName::from_static(IdempotencyKey::HEADER),
            HeaderName::from_static("x-correlation-id"),
            HeaderName::from_static("x-request-id"),
        ])
        .expose_headers([
            HeaderName::from_static("x-request-id"),
            HeaderName::from_static("idempotent-replayed"),
        ])
        .max_age(std::time::Duration::from_secs(600))
}
