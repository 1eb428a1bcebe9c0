//! `POST /order` when it is repeated or its backends fail: Idempotency-Key
//! replays and conflicts (the key names the order), a failed publish left to
//! the outbox relay, an attempt that died before publishing, a lost reply, a
//! failed store, the caller's correlation id.

use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use order_api::{fingerprint, AuthMode, IdempotencyKey};
use ports::outbox::{OutboxRelay, RelaySettings};
use ports::{OrderRecord, OrderRepository};
use serde_json::json;

use crate::support::{order, spawn_app, spawn_app_with};

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

    // The app retries anyway: the same answer, nothing stored twice. The
    // retry finds its order unpublished and publishes it (before
    // docs/decisions/0008 a retry of a completed key only replayed, and the
    // relay published both).
    app.events.fail(false);
    let (status, headers, again) = app.post(&order().to_string(), Some("retry-me")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again, first);
    assert_eq!(headers["idempotent-replayed"], "true");
    assert_eq!(app.orders.all().len(), 2);
    assert_eq!(app.events.events().len(), 1);

    // The relay publishes the other, with its order's own event id.
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
    assert_eq!(report.published, 1);
    let mut published: Vec<_> = app.events.events().iter().map(|e| e.event_id).collect();
    let mut expected: Vec<_> = stored.iter().map(|r| r.event_id).collect();
    published.sort();
    expected.sort();
    assert_eq!(published, expected);
    assert!(app.orders.all().iter().all(|r| r.published));
}

// Was `a_retry_waits_out_a_dead_attempts_claim_and_resumes_its_order`: no
// request claims a key any more (docs/decisions/0008). What a dead attempt
// leaves now is its stored, unpublished order, and the retry finds it at once.
#[tokio::test]
async fn a_retry_after_an_attempt_that_died_before_publishing_publishes_its_stored_order() {
    let app = spawn_app();
    let body = order().to_string();
    let parsed = domain::parse_order(body.as_bytes()).expect("valid");
    // The first attempt stored the order its key names, and died.
    let key = IdempotencyKey::parse("dead-attempt").expect("a key");
    let first = OrderRecord {
        order: parsed
            .clone()
            .accept(key.order_id(None), chrono::Utc::now()),
        event_id: uuid::Uuid::new_v4(),
        published: false,
        published_at: None,
        fingerprint: Some(fingerprint(&parsed)),
    };
    app.orders.insert(&first).await.expect("stored");

    let (status, headers, answer) = app.post(&body, Some("dead-attempt")).await;

    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["orderId"], first.order.order_id.to_string());
    assert_eq!(headers["idempotent-replayed"], "true");
    assert_eq!(app.orders.all().len(), 1);
    let events = app.events.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event_id, first.event_id, "the order's own event");
    assert!(app.orders.all()[0].published);
}

#[tokio::test]
async fn an_order_whose_stored_reply_was_lost_is_answered_as_this_requests_own() {
    let app = spawn_app();
    // The put reached the table; its reply did not, and the SDK's retry met it.
    app.orders.lose_next_insert_reply();

    let (status, headers, answer) = app.post(&order().to_string(), Some("lost-reply")).await;

    assert_eq!(status, StatusCode::OK, "{answer}");
    assert!(
        !headers.contains_key("idempotent-replayed"),
        "the first answer is no replay"
    );
    assert_eq!(app.orders.all().len(), 1);
    assert_eq!(
        app.events.events().len(),
        1,
        "published once, by this request"
    );
}

#[tokio::test]
async fn requests_racing_with_one_key_place_one_order_and_get_one_answer() {
    let app = spawn_app();
    let body = order().to_string();

    let answers =
        futures_util::future::join_all((0..4).map(|_| app.post(&body, Some("double-tap")))).await;

    let ids: std::collections::BTreeSet<String> = answers
        .iter()
        .map(|(status, _, answer)| {
            assert_eq!(*status, StatusCode::OK, "{answer}");
            answer["orderId"].as_str().unwrap_or_default().to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 1, "one order id for the key: {ids:?}");
    assert_eq!(app.orders.all().len(), 1);
    let events = app.events.events();
    assert!(
        events.iter().all(|e| e.event_id == events[0].event_id),
        "only the order's own event, however many published it"
    );
}

#[tokio::test]
async fn a_key_is_the_signed_in_customers_own() {
    let app = spawn_app_with(AuthMode::Cognito);
    let as_ada = order_by("ada@example.com").to_string();
    let as_bob = order_by("bob@example.com").to_string();

    let (ada_status, _, ada) = app
        .post_as("sub-ada", "ada@example.com", &as_ada, "k-1")
        .await;
    let (bob_status, bob_headers, bob) = app
        .post_as("sub-bob", "bob@example.com", &as_bob, "k-1")
        .await;
    let (again_status, again_headers, again) = app
        .post_as("sub-ada", "ada@example.com", &as_ada, "k-1")
        .await;

    assert_eq!(
        (ada_status, bob_status, again_status),
        (StatusCode::OK, StatusCode::OK, StatusCode::OK)
    );
    assert_ne!(
        ada["orderId"], bob["orderId"],
        "another customer's same key is another order"
    );
    assert!(!bob_headers.contains_key("idempotent-replayed"));
    assert_eq!(again, ada);
    assert_eq!(again_headers["idempotent-replayed"], "true");
    assert_eq!(app.orders.all().len(), 2);
}

fn order_by(email: &str) -> serde_json::Value {
    let mut order = order();
    order["customerEmail"] = json!(email);
    order
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
