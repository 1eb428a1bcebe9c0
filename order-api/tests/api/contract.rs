//! The HTTP contract of `POST /order`, through the real router with in-memory ports.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};

use order_api::{router, OrderService};
use ports::fakes::RecordingEventPublisher;
use serde_json::{json, Value};
use tower::ServiceExt;

use crate::support::{order, spawn_app};
#[tokio::test]
async fn accepts_a_valid_order_stores_it_and_publishes_one_event() {
    let app = spawn_app();
    let (status, headers, body) = app.post(&order().to_string(), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["message"], "Order received successfully");
    let order_id = body["orderId"].as_str().unwrap();
    assert!(uuid::Uuid::parse_str(order_id).is_ok());
    let created_at = body["createdAt"].as_str().unwrap();
    assert!(chrono::DateTime::parse_from_rfc3339(created_at).is_ok() && created_at.ends_with('Z'));
    assert!(headers.contains_key("x-request-id"));

    let stored = app.orders.all();
    assert_eq!(stored.len(), 1);
    assert!(stored[0].published);
    assert_eq!(stored[0].order.total_amount.to_string(), "60.28");
    let events = app.events.events();
    assert_eq!(events.len(), 1);
    let event: Value = serde_json::from_str(&events[0].to_json()).unwrap();
    assert_eq!(event["eventType"], "ORDER_CREATED");
    assert_eq!(event["schemaVersion"], 1);
    assert_eq!(event["orderId"], order_id);
    assert_eq!(event["totalAmount"], json!(60.28));
    assert_eq!(event["items"][1]["subtotal"], json!(0.3));
    assert_eq!(event["createdAt"], created_at);
    assert_eq!(
        event["correlationId"],
        headers["x-request-id"].to_str().unwrap()
    );
}

#[tokio::test]
async fn rejects_an_invalid_order_with_every_violation_and_stores_nothing() {
    let app = spawn_app();
    let mut body = order();
    body["customerEmail"] = json!("nope");
    body["items"][0]["quantity"] = json!(0);
    let (status, _, response) = app.post(&body.to_string(), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(response["error"], "Validation failed");
    let fields: Vec<_> = response["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["customerEmail", "items[0].quantity"]);
    assert!(response["requestId"]
        .as_str()
        .is_some_and(|id| !id.is_empty()));
    assert!(app.orders.all().is_empty() && app.events.events().is_empty());
}

#[tokio::test]
async fn answers_malformed_json_with_a_400_not_a_500() {
    let app = spawn_app();
    for body in ["{", "", "[]", "{\"customerName\": }"] {
        let (status, _, response) = app.post(body, None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body:?}");
        assert_eq!(response["error"], "Malformed JSON");
        assert!(response["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
}

#[tokio::test]
async fn refuses_other_content_types_and_large_bodies() {
    let app = spawn_app();
    for content_type in [Some("text/plain"), Some("application/xml"), None] {
        let mut request = Request::post("/order");
        if let Some(content_type) = content_type {
            request = request.header(header::CONTENT_TYPE, content_type);
        }
        let (status, _, body) = app
            .send(request.body(Body::from(order().to_string())).unwrap())
            .await;
        assert_eq!(
            status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type:?}"
        );
        assert_eq!(body["error"], "Unsupported media type");
    }
    let (status, _, _) = app
        .send(
            Request::post("/order")
                .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
                .body(Body::from(order().to_string()))
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let mut big = order();
    big["customerId"] = json!("x".repeat(11 * 1024));
    let (status, _, body) = app.post(&big.to_string(), None).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body["error"], "Payload too large");
    // A body without Content-Length is counted as it streams.
    let chunks = streamed(big.to_string());
    let request = Request::post("/order")
        .header(header::CONTENT_TYPE, "application/json")
        .body(chunks)
        .unwrap();
    let (status, _, _) = app.send(request).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
}

/// A body streamed in chunks, without a Content-Length.
fn streamed(text: String) -> Body {
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = text
        .into_bytes()
        .chunks(1000)
        .map(|c| Ok(c.to_vec()))
        .collect();
    Body::from_stream(futures_util::stream::iter(chunks))
}

#[tokio::test]
async fn answers_unknown_routes_and_methods_in_json() {
    let app = spawn_app();
    let (status, _, body) = app
        .send(Request::get("/orders").body(Body::empty()).unwrap())
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"], "Not found");
    let (status, headers, body) = app
        .send(Request::get("/order").body(Body::empty()).unwrap())
        .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(body["error"], "Method not allowed");
    assert_eq!(headers[header::ALLOW], "POST, OPTIONS");
}

#[tokio::test]
async fn an_error_body_quotes_the_id_of_its_request() {
    let app = spawn_app();
    let (_, headers, body) = app
        .send(Request::get("/orders").body(Body::empty()).unwrap())
        .await;
    assert_eq!(body["requestId"], headers["x-request-id"].to_str().unwrap());
    let (status, headers, body) = app.post("{", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["requestId"], headers["x-request-id"].to_str().unwrap());
}

#[tokio::test]
async fn answers_cors_preflight_for_the_configured_origin_only() {
    let app = spawn_app();
    let preflight = |origin: &str| {
        Request::builder()
            .method(Method::OPTIONS)
            .uri("/order")
            .header(header::ORIGIN, origin)
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
            .header(
                header::ACCESS_CONTROL_REQUEST_HEADERS,
                "content-type,idempotency-key",
            )
            .body(Body::empty())
            .unwrap()
    };
    let (status, headers, _) = app.send(preflight("https://app.example.com")).await;
    assert!(status.is_success());
    assert_eq!(
        headers[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        "https://app.example.com"
    );
    let allowed = headers[header::ACCESS_CONTROL_ALLOW_HEADERS]
        .to_str()
        .unwrap();
    assert!(allowed.contains("idempotency-key"), "{allowed}");
    let (_, headers, _) = app.send(preflight("https://evil.example.com")).await;
    assert!(!headers.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN));
}

/// A repository with a bug: every call panics.
struct PanickingOrderRepository;

impl ports::OrderRepository for PanickingOrderRepository {
    async fn insert(
        &self,
        _record: &ports::OrderRecord,
    ) -> Result<ports::Inserted, ports::RepositoryError> {
        panic!("a bug in the repository")
    }
    async fn get(
        &self,
        _id: domain::OrderId,
    ) -> Result<Option<ports::OrderRecord>, ports::RepositoryError> {
        panic!("a bug in the repository")
    }
    async fn mark_published(&self, _id: domain::OrderId) -> Result<(), ports::RepositoryError> {
        panic!("a bug in the repository")
    }
}

#[tokio::test]
async fn a_panic_in_a_handler_is_the_contracts_json_500_with_cors_and_its_request_id() {
    let service = OrderService::new(PanickingOrderRepository, RecordingEventPublisher::default());
    let app = router(
        service,
        &["https://app.example.com".to_owned()],
        order_api::AuthMode::Open,
    );
    let request = Request::post("/order")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ORIGIN, "https://app.example.com")
        .header("x-request-id", "req-panic")
        .body(Body::from(order().to_string()))
        .expect("a request");

    let response = app.oneshot(request).await.expect("the router answers");

    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(response.headers()["x-request-id"], "req-panic");
    assert_eq!(
        response.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        "https://app.example.com"
    );
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("a body");
    let body: Value = serde_json::from_slice(&bytes).expect("JSON");
    assert_eq!(
        body,
        json!({"error": "Internal server error", "message": "Failed to process order", "requestId": "req-panic"})
    );
}

#[tokio::test]
async fn serves_its_openapi_document() {
    let app = spawn_app();
    let (status, headers, body) = app
        .send(
            Request::get("/openapi.json")
                .body(Body::empty())
                .expect("a request"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    assert_eq!(body["openapi"], "3.1.0");
    assert_eq!(
        body,
        serde_json::from_str::<Value>(order_api::DOCUMENT).expect("JSON")
    );
}
