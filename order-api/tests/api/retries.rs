//! `POST /order` when it is repeated or its backends fail: Idempotency-Key
//! replays and conflicts, a failed publish left to the outbox relay, a dead
//! attempt's claim, a failed store, the caller's correlation id.

use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use order_api::fingerprint;
use ports::outbox::{OutboxRelay, RelaySettings};
use ports::{ClaimRequest, ClaimToken, IdempotencyStore};
use serde_json::json;

use crate::support::{order, spawn_app};

#[tokio::test]
async fn replays_the_first_response_for_a_repeated_idempotency_key() {
    let app = spawn_app();
    let body = order().to_string();
    let (first_status, _, first) = app.post(&body, Some("key-1")).await;
    // Same order, other formatting: still the same request.
    let reformatted = serde_json::to_string_pretty(&order()).unwrap();
    let (second_status, headers, second) = app.post(&reformatted, Some("key-1")).await;
    assert_eq!(
        (first_status, second_status),
        (StatusCode::OK, StatusCode::OK)
    );
    assert_eq!(first, second);
    assert_eq!(headers["idempotent-replayed"], "true");
    assert_eq!(app.orders.all().len(), 1);
    assert_eq!(app.events.events().len(), 1);

    let (status, _, _) = app.post(&body, Some("key-2")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app.orders.all().len(), 2, "another key is another order");
}

#[tokio::test]
async fn refuses_a_repeated_idempotency_key_with_another_body() {
    let app = spawn_app();
    app.post(&order().to_string(), Some("key-1")).await;
    let mut other = order();
    other["items"][0]["quantity"] = json!(5);
    let (status, _, body) = app.post(&other.to_string(), Some("key-1")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"], "Idempotency key reused");
    assert_eq!(app.orders.all().len(), 1);

    let (status, _, body) = app.post(&order().to_string(), Some("has space")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "Invalid Idempotency-Key");
}

#[tokio::test]
async fn a_failed_publish_still_answers_200_and_leaves_the_event_to_the_outbox_relay() {
    let app = spawn_app();
    app.events.fail(true);

    let (status, _, first) = app.post(&order().to_string(), Some("retry-me")).await;
    let (no_key_status, _, _) = app.post(&order().to_string(), None).await;

    assert_eq!(
        (status, no_key_status),
        (StatusCode::OK, StatusCode::OK),
        "{first}"
    );
    let stored = app.orders.all();
    assert_eq!(stored.len(), 2);
    assert!(stored.iter().all(|r| !r.published));
    assert!(app.events.events().is_empty());

    // The app retries anyway: the same answer, nothing stored twice.
    app.events.fail(false);
    let (status, headers, again) = app.post(&order().to_string(), Some("retry-me")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again, first);
    assert_eq!(headers["idempotent-replayed"], "true");
    assert_eq!(app.orders.all().len(), 2);

    // The relay publishes both, each with its order's own event id.
    let relay = OutboxRelay::new(
        app.orders.clone(),
        app.events.clone(),
        RelaySettings::with_grace(Duration::ZERO),
    );
    let now = chrono::Utc::now();
    let report = relay
        .sweep(now, now + chrono::Duration::seconds(30))
        .await
        .expect("swept");
    assert_eq!(report.published, 2);
    let mut published: Vec<_> = app.events.events().iter().map(|e| e.event_id).collect();
    let mut expected: Vec<_> = stored.iter().map(|r| r.event_id).collect();
    published.sort();
    expected.sort();
    assert_eq!(published, expected);
    assert!(app.orders.all().iter().all(|r| r.published));
}

#[tokio::test]
async fn a_retry_waits_out_a_dead_attempts_claim_and_resumes_its_order() {
    let app = spawn_app();
    let body = order().to_string();
    let parsed = domain::parse_order(body.as_bytes()).expect("valid");
    let chosen_by_the_first_attempt = domain::OrderId::random();
    // The first attempt claimed the key and died; its claim holds a moment longer.
    app.keys
        .claim(&ClaimRequest {
            key: "order-api#dead-attempt",
            fingerprint: &fingerprint(&parsed),
            pending: &chosen_by_the_first_attempt.to_string(),
            token: ClaimToken::random(),
            hold_until: chrono::Utc::now() + chrono::Duration::milliseconds(300),
            now: chrono::Utc::now(),
        })
        .await
        .expect("claimed");

    let (status, _, answer) = app.post(&body, Some("dead-attempt")).await;

    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["orderId"], chosen_by_the_first_attempt.to_string());
    assert_eq!(app.orders.all().len(), 1);
    assert_eq!(app.events.events().len(), 1);
}

#[tokio::test]
async fn a_store_failure_is_a_500_and_publishes_nothing() {
    let app = spawn_app();
    app.orders.fail(true);
    let (status, _, body) = app.post(&order().to_string(), None).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body["message"], "Failed to process order");
    assert!(app.events.events().is_empty());
}

#[tokio::test]
async fn carries_the_callers_correlation_id_into_the_event() {
    let app = spawn_app();
    let request = Request::post("/order")
        .header(header::CONTENT_TYPE, "application/json")
        .header("x-correlation-id", "checkout-42")
        .header("x-request-id", "req-7")
        .body(Body::from(order().to_string()))
        .unwrap();
    let (status, headers, _) = app.send(request).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["x-request-id"], "req-7");
    assert_eq!(app.events.events()[0].correlation_id, "checkout-42");
}
