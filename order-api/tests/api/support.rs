//! order-api's router over shared's in-memory ports, for the HTTP tests.

// Each test file includes this module and uses only some of it.
#![allow(dead_code)]

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use order_api::{router, OrderService};
use ports::fakes::{InMemoryIdempotencyStore, InMemoryOrderRepository, RecordingEventPublisher};
use serde_json::{json, Value};
use tower::ServiceExt;

/// The app with fakes the test can look into.
pub struct TestApp {
    pub router: Router,
    pub orders: Arc<InMemoryOrderRepository>,
    pub events: Arc<RecordingEventPublisher>,
    pub keys: Arc<InMemoryIdempotencyStore>,
}

pub fn spawn_app() -> TestApp {
    let orders = Arc::new(InMemoryOrderRepository::default());
    let events = Arc::new(RecordingEventPublisher::default());
    let keys = Arc::new(InMemoryIdempotencyStore::default());
    let service = OrderService::new(orders.clone(), events.clone(), keys.clone());
    TestApp {
        router: router(
            service,
            &["https://app.example.com".to_owned()],
            order_api::AuthMode::Open,
        ),
        orders,
        events,
        keys,
    }
}

pub fn order() -> Value {
    json!({
        "customerId": "CUST-1",
        "customerName": "John Doe",
        "customerEmail": "john.doe@example.com",
        "items": [
            {"productId": "PROD-001", "productName": "Widget A", "quantity": 2, "price": 29.99},
            {"productId": "PROD-002", "quantity": 3, "price": 0.10}
        ]
    })
}

impl TestApp {
    pub async fn send(&self, request: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Value) {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("the router answers");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("a body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).expect("a JSON body")
        };
        (status, headers, body)
    }

    pub async fn post(
        &self,
        body: &str,
        key: Option<&str>,
    ) -> (StatusCode, axum::http::HeaderMap, Value) {
        let mut request = Request::post("/order").header(header::CONTENT_TYPE, "application/json");
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        self.send(
            request
                .body(Body::from(body.to_owned()))
                .expect("a request"),
        )
        .await
    }
}
