//! order-api's router over shared's in-memory ports, for the HTTP tests.

// Each test file includes this module and uses only some of it.
#![allow(dead_code)]

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use order_api::{router, OrderService};
use ports::fakes::{InMemoryOrderRepository, RecordingEventPublisher};
use serde_json::{json, Value};
use tower::ServiceExt;

/// The app with fakes the test can look into.
pub struct TestApp {
    pub router: Router,
    pub orders: InMemoryOrderRepository,
    pub events: RecordingEventPublisher,
}

pub fn spawn_app() -> TestApp {
    spawn_app_with(order_api::AuthMode::Open)
}

/// The app with sign-in `auth`: with `Cognito`, requests carry their
/// claims as API Gateway passes them ([`TestApp::post_as`]).
pub fn spawn_app_with(auth: order_api::AuthMode) -> TestApp {
    let orders = InMemoryOrderRepository::default();
    let events = RecordingEventPublisher::default();
    let service = OrderService::new(orders.clone(), events.clone());
    TestApp {
        router: router(service, &["https://app.example.com".to_owned()], auth),
        orders,
        events,
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

    /// `POST /order` by the signed-in customer `subject` whose verified
    /// address is `email`, with the claims where API Gateway's Cognito
    /// authorizer puts them.
    pub async fn post_as(
        &self,
        subject: &str,
        email: &str,
        body: &str,
        key: &str,
    ) -> (StatusCode, axum::http::HeaderMap, Value) {
        let context = serde_json::from_value(json!({
            "httpMethod": "POST",
            "authorizer": {"claims": {"sub": subject, "email": email, "email_verified": "true"}}
        }))
        .expect("a request context");
        let request = Request::post("/order")
            .header(header::CONTENT_TYPE, "application/json")
            .header("Idempotency-Key", key)
            .extension(lambda_http::request::RequestContext::ApiGatewayV1(context))
            .body(Body::from(body.to_owned()))
            .expect("a request");
        self.send(request).await
    }
}
