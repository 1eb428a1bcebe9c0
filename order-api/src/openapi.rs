//! The API described for its clients: an OpenAPI 3.1 document generated
//! from the code. The response bodies are the types the handlers serialize
//! (`OrderConfirmation`, `ErrorBody`, `FieldError`); the request's bounds
//! are the domain's constants.
//!
//! Built with the `openapi` feature only. The release binaries serve the
//! committed `order-api/openapi.json` ([`crate::DOCUMENT`]), which a test
//! regenerates and compares (`UPDATE_OPENAPI=1` rewrites it), so the file
//! can never drift from the code and utoipa costs the functions nothing.

// The request types exist to be described, never built.
#![allow(dead_code)]

use shared::domain::{CustomerName, FieldError, Money};
use utoipa::{IntoResponses, OpenApi, ToSchema};

use crate::error::ErrorBody;
use crate::place_order::OrderConfirmation;

/// An order as the app sends it. `subtotal` and `totalAmount` are computed
/// by the API; a client may send them to have them checked.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase", example = json!({
    "customerId": "CUST-12345",
    "customerName": "Jane Doe",
    "customerEmail": "jane@example.com",
    "items": [{"productId": "P-1", "productName": "Widget", "quantity": 3, "price": 0.10}]
}))]
struct OrderRequest {
    /// The customer's id in the shop, if any. With sign-in on, the token's `sub` replaces it.
    #[schema(max_length = 100)]
    customer_id: Option<String>,
    #[schema(min_length = 2, max_length = 100)]
    customer_name: String,
    /// An address SES can deliver to: ASCII, a dotted domain (an
    /// internationalized one in its `xn--` form), no IP literal. With
    /// sign-in on, it must be the signed-in account's verified address.
    #[schema(format = Email, max_length = 254)]
    customer_email: String,
    #[schema(min_items = 1, max_items = 50)]
    items: Vec<OrderItemRequest>,
    /// If sent, must equal the sum of the subtotals exactly.
    #[schema(value_type = Option<f64>, multiple_of = 0.01)]
    total_amount: Option<Money>,
}

/// One line of an order. Money is a JSON number with at most two decimals,
/// read exactly (never through a float); a string or an exponent is refused.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
struct OrderItemRequest {
    #[schema(min_length = 1, max_length = 100)]
    product_id: String,
    #[schema(max_length = 200)]
    product_name: Option<String>,
    #[schema(minimum = 1, maximum = 1000)]
    quantity: i64,
    #[schema(value_type = f64, exclusive_minimum = 0, maximum = 999999.99, multiple_of = 0.01)]
    price: Money,
    /// If sent, must equal `quantity × price` exactly.
    #[schema(value_type = Option<f64>, multiple_of = 0.01)]
    subtotal: Option<Money>,
}

const _: () = assert!(CustomerName::MIN_CHARS == 2 && CustomerName::MAX_CHARS == 100);

/// Every answer of `POST /order`, each with its body.
#[derive(IntoResponses)]
enum PostOrderResponses {
    /// The order is stored and will be confirmed by email. A repeated
    /// `Idempotency-Key` with the same order gets the first answer again,
    /// with `Idempotent-Replayed: true`.
    #[response(
        status = 200,
        headers(
            ("x-request-id" = String, description = "The request's id."),
            ("idempotent-replayed" = String, description = "`true` when this answers an earlier request with the same Idempotency-Key.")
        ),
        example = json!({"orderId": "1b4e28ba-2fa1-4d2b-883f-0016d3cca427", "message": "Order received successfully", "createdAt": "2026-12-03T09:00:00.000Z"})
    )]
    Accepted(#[to_schema] OrderConfirmation),
    /// The order breaks a rule (every violation, at its JSON path), the body
    /// is not JSON, or the Idempotency-Key header is malformed.
    #[response(
        status = 400,
        example = json!({"error": "Validation failed", "errors": [{"field": "items[0].quantity", "message": "quantity must be between 1 and 1000"}], "requestId": "6f1c0d2e-1c43-4a0b-9a64-5f7d2d3c8e11"})
    )]
    BadRequest(#[to_schema] ErrorBody<'static>),
    /// Sign-in is on and the request carries no signed-in caller.
    #[response(status = 401)]
    Unauthorized(#[to_schema] ErrorBody<'static>),
    /// Sign-in is on and the order names another address than the caller's
    /// verified one, or the account's address is not verified.
    #[response(status = 403)]
    Forbidden(#[to_schema] ErrorBody<'static>),
    /// Another path: the API serves `POST /order` only.
    #[response(status = 404)]
    NotFound(#[to_schema] ErrorBody<'static>),
    /// Another method on `/order` (the `Allow` header lists POST, OPTIONS).
    #[response(status = 405, headers(("allow" = String, description = "POST, OPTIONS")))]
    MethodNotAllowed(#[to_schema] ErrorBody<'static>),
    /// A request with the same Idempotency-Key is still being processed and
    /// did not finish within this one's time: retry shortly.
    #[response(status = 409)]
    InProgress(#[to_schema] ErrorBody<'static>),
    /// The body is over 10 KB.
    #[response(status = 413)]
    PayloadTooLarge(#[to_schema] ErrorBody<'static>),
    /// The body is not `application/json`.
    #[response(status = 415)]
    UnsupportedMediaType(#[to_schema] ErrorBody<'static>),
    /// The Idempotency-Key was already used with another order.
    #[response(status = 422)]
    KeyReused(#[to_schema] ErrorBody<'static>),
    /// Too many requests (API Gateway's throttle): retry with backoff.
    #[response(status = 429)]
    Throttled(#[to_schema] ErrorBody<'static>),
    /// The order could not be stored; nothing was charged or mailed. Retry
    /// with the same Idempotency-Key.
    #[response(
        status = 500,
        example = json!({"error": "Internal server error", "message": "Failed to process order", "requestId": "6f1c0d2e-1c43-4a0b-9a64-5f7d2d3c8e11"})
    )]
    Internal(#[to_schema] ErrorBody<'static>),
}

/// Places an order.
///
/// Validates the order, stores it and answers; the confirmation email and
/// the audit record follow asynchronously. Send an `Idempotency-Key` and
/// retry with the same key and body on a timeout, 409, 429 or 5xx: the
/// order is placed once.
#[utoipa::path(
    post,
    path = "/order",
    operation_id = "placeOrder",
    request_body(content = OrderRequest, content_type = "application/json"),
    params(
        ("Idempotency-Key" = Option<String>, Header, description = "1–255 visible ASCII characters, one per order; the same key with the same body replays the first answer.", max_length = 255, min_length = 1),
        ("X-Correlation-Id" = Option<String>, Header, description = "Carried into the order's event and every log line (at most 128 characters).", max_length = 128),
        ("X-Request-Id" = Option<String>, Header, description = "The request's id, if the caller has one (at most 128 characters).", max_length = 128),
    ),
    responses(PostOrderResponses)
)]
fn place_order() {}

/// The document's root.
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "Order fleet API",
        version = "1.0.0",
        description = "Places orders for the mobile app. Errors share one JSON shape: `error`, `message` or `errors`, `requestId`."
    ),
    paths(place_order),
    components(schemas(
        OrderRequest,
        OrderItemRequest,
        OrderConfirmation,
        ErrorBody,
        FieldError
    ))
)]
pub struct ApiDoc;

/// The document as it is committed: pretty JSON, keys sorted (whatever
/// serde_json's `preserve_order` in a given build), with a final newline.
pub fn document() -> String {
    let value = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    let mut text = serde_json::to_string_pretty(&sorted(value)).unwrap_or_default();
    text.push('\n');
    text
}

fn sorted(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => {
            let mut entries: Vec<_> = map.into_iter().collect();
            entries.sort_by(|(a, _), (b, _)| a.cmp(b));
            serde_json::Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.into_iter().map(sorted).collect())
        }
        other => other,
    }
}
