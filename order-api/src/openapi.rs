//! The API described for its clients (NSwag, Kiota): an OpenAPI 3.1 document
//! generated from the code. Money is `format: decimal` (C# `decimal`), where utoipa
//! would say `double` for the `f64` it is described as. Feature `openapi` only: the
//! binaries serve the committed [`crate::DOCUMENT`], which a test regenerates and
//! compares (`UPDATE_OPENAPI=1` rewrites it), so utoipa costs the functions nothing.

// The request types exist to be described, never built.
#![allow(dead_code)]

use domain::{CustomerName, FieldError, Money};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoResponses, Modify, OpenApi, ToSchema};

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
    /// Money. If sent, must equal the sum of the subtotals exactly.
    #[schema(value_type = Option<f64>, format = "decimal", multiple_of = 0.01)]
    total_amount: Option<Money>,
}

/// One line of an order. Money (`price`, `subtotal`) is a JSON number with
/// at most two decimals, read exactly (never through a float): a string or
/// an exponent is refused. Its format is `decimal`: hold it in a decimal
/// type (C# `decimal`), never a binary float.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
struct OrderItemRequest {
    #[schema(min_length = 1, max_length = 100)]
    product_id: String,
    #[schema(max_length = 200)]
    product_name: Option<String>,
    #[schema(minimum = 1, maximum = 1000)]
    quantity: i64,
    /// Money: the unit price, more than 0 and at most 999999.99.
    #[schema(value_type = f64, format = "decimal", exclusive_minimum = 0, maximum = 999999.99, multiple_of = 0.01)]
    price: Money,
    /// Money. If sent, must equal `quantity × price` exactly.
    #[schema(value_type = Option<f64>, format = "decimal", multiple_of = 0.01)]
    subtotal: Option<Money>,
}

const _: () = assert!(CustomerName::MIN_CHARS == 2 && CustomerName::MAX_CHARS == 100);

/// Every answer of `POST /order`, its body a reference to a named schema: no
/// `#[to_schema]`, which would copy it inline, a generated class per status.
#[derive(IntoResponses)]
enum PostOrderResponses {
    /// The order is stored and will be confirmed by email. A repeated
    /// `Idempotency-Key` with the same order gets the first answer again,
    /// with `Idempotent-Replayed: true`, however long after.
    #[response(
        status = 200,
        headers(
            ("x-request-id" = String, description = "The request's id."),
            ("idempotent-replayed" = String, description = "`true` when this answers an earlier request with the same Idempotency-Key.")
        ),
        example = json!({"orderId": "1b4e28ba-2fa1-4d2b-883f-0016d3cca427", "message": "Order received successfully", "createdAt": "2026-12-03T09:00:00.000Z"})
    )]
    Accepted(OrderConfirmation),
    /// The order breaks a rule (`Validation failed`: every violation in
    /// `errors`, at its JSON path), the body is not JSON, or the
    /// Idempotency-Key header is malformed.
    #[response(
        status = 400,
        example = json!({"error": "Validation failed", "errors": [{"field": "items[0].quantity", "message": "quantity must be between 1 and 1000"}], "requestId": "6f1c0d2e-1c43-4a0b-9a64-5f7d2d3c8e11"})
    )]
    BadRequest(ErrorBody<'static>),
    /// Sign-in is on and the request carries no valid Cognito ID token.
    #[response(status = 401)]
    Unauthorized(ErrorBody<'static>),
    /// Sign-in is on and the order names another address than the caller's
    /// verified one, or the account's address is not verified.
    #[response(status = 403)]
    Forbidden(ErrorBody<'static>),
    /// Another path: the API serves `POST /order` only.
    #[response(status = 404)]
    NotFound(ErrorBody<'static>),
    /// Another method on `/order` (the `Allow` header lists POST, OPTIONS).
    #[response(status = 405, headers(("allow" = String, description = "POST, OPTIONS")))]
    MethodNotAllowed(ErrorBody<'static>),
    /// The body is over 10 KB.
    #[response(status = 413)]
    PayloadTooLarge(ErrorBody<'static>),
    /// The body is not `application/json`.
    #[response(status = 415)]
    UnsupportedMediaType(ErrorBody<'static>),
    /// The Idempotency-Key was already used with another order.
    #[response(status = 422)]
    KeyReused(ErrorBody<'static>),
    /// Too many requests (API Gateway's throttle): retry with backoff.
    #[response(status = 429)]
    Throttled(ErrorBody<'static>),
    /// The order could not be stored; nothing was charged or mailed. Retry
    /// with the same Idempotency-Key.
    #[response(
        status = 500,
        example = json!({"error": "Internal server error", "message": "Failed to process order", "requestId": "6f1c0d2e-1c43-4a0b-9a64-5f7d2d3c8e11"})
    )]
    Internal(ErrorBody<'static>),
}

/// Places an order.
///
/// Validates the order, stores it and answers; the confirmation email and
/// the audit record follow asynchronously. Send an `Idempotency-Key` and
/// retry with the same key and body on a timeout, 429 or 5xx: the order is
/// placed once.
#[utoipa::path(
    post,
    path = "/order",
    operation_id = "placeOrder",
    tag = "orders",
    request_body(content = OrderRequest, content_type = "application/json"),
    params(
        ("Idempotency-Key" = Option<String>, Header, nullable = false, description = "One key per order (the app sends a new GUID for each order and the same one on every retry of it): 1–255 visible ASCII characters. The key names the order: the same key with the same body replays the first answer (the same `orderId`, `Idempotent-Replayed: true`), even while the first request still runs and however long after, and places nothing twice; the same key with a different body is a 422. With sign-in, keys are the signed-in customer's own: another customer's same key is another order.", max_length = 255, min_length = 1, pattern = "^[!-~]{1,255}$"),
        ("X-Correlation-Id" = Option<String>, Header, nullable = false, description = "Carried into the order's event and every log line (at most 128 characters).", max_length = 128),
        ("X-Request-Id" = Option<String>, Header, nullable = false, description = "The request's id, if the caller has one (at most 128 characters).", max_length = 128),
    ),
    responses(PostOrderResponses),
    security(("cognito" = []))
)]
fn place_order() {}

/// Declares the Cognito sign-in: the deployed API's authorizer reads the ID
/// token from `Authorization` (infra/template.yaml, `OrdersAuthorizer`).
struct CognitoSignIn;

impl Modify for CognitoSignIn {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("JWT")
            .description(Some(
                "Amazon Cognito sign-in. Send the signed-in customer's Cognito **ID token** \
                 (not the access token) from the stack's user pool (its outputs \
                 `CustomerPoolId` and `CustomerAppClientId`) in the `Authorization` header, \
                 as `Authorization: Bearer <ID token>`. API Gateway's Cognito user pool \
                 authorizer checks it before order-api runs and passes its claims on: the \
                 order is then the signed-in customer's own (`customerId` becomes the \
                 token's `sub`; `customerEmail` must be its verified `email`, or the answer \
                 is 403). Without a valid token the answer is 401.\n\n\
                 Staging and prod always require it. A dev stack deployed with \
                 `RequireSignIn=false`, and the local API (`AUTH_MODE=none`), run without \
                 sign-in: they need no token and ignore one if sent.",
            ))
            .build();
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme("cognito", SecurityScheme::Http(scheme));
    }
}

#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "Order fleet API",
        version = "1.0.0",
        description = "Places orders for the mobile app. Money (`price`, `subtotal`, \
            `totalAmount`) is `type: number, format: decimal`: a JSON number with at most two \
            decimals, read exactly; generate it as a decimal type (C# `decimal`), never a \
            binary float. Every error has one JSON shape, `ErrorBody`: `error`, `message` or \
            `errors` (every violation with its JSON path), `requestId`."
    ),
    servers(
        (url = "http://127.0.0.1:3000", description = "The local API (`make dev`): no sign-in."),
        (
            url = "https://{apiId}.execute-api.{region}.amazonaws.com/{stage}",
            description = "A deployed stack's API Gateway stage (the stack's `ApiUrl` output, less `/order`). Staging and prod require sign-in.",
            variables(
                ("apiId" = (default = "abcdef1234", description = "The REST API's id (the stack's `ApiUrl` output).")),
                ("region" = (default = "us-east-1", description = "The AWS Region the stack is deployed in.")),
                ("stage" = (default = "prod", enum_values("dev", "staging", "prod"), description = "The stage: the stack's Environment."))
            )
        )
    ),
    paths(place_order),
    components(schemas(
        OrderRequest,
        OrderItemRequest,
        OrderConfirmation,
        ErrorBody,
        FieldError
    )),
    modifiers(&CognitoSignIn),
    tags((name = "orders", description = "Placing orders."))
)]
pub struct ApiDoc;

/// The document as it is committed: pretty JSON, keys sorted (whatever
/// serde_json's `preserve_order` in a given build), with a final newline.
pub fn document() -> String {
    let mut value = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    value.sort_all_objects();
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}
