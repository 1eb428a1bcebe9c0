use ports::fakes::{
    order_created, InMemoryIdempotencyStore, InMemoryRecipientLimit, RecordingMailer,
};
use ports::{BackendError, Claim, ClaimRequest, ClaimToken, Completion, FailureKind};

use super::*;

fn delivery() -> Delivery {
    Delivery::first("m-1", std::time::Duration::from_secs(60))
}

#[tokio::test]
async fn an_event_delivered_three_times_sends_one_email() {
    let handler = SendConfirmation::new(
        RecordingMailer::default(),
        InMemoryIdempotencyStore::default(),
        InMemoryRecipientLimit::default(),
    );
    let event = order_created();

    for _ in 0..3 {
        handler.handle(&event, &delivery()).await.expect("handled");
    }

    let sent = handler.mailer.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].to.as_str(), "ada@example.com");
    assert_eq!(
        sent[0].subject,
        format!("Order Confirmation - Order #{}", event.order.order_id)
    );
}

#[tokio::test]
async fn two_events_send_two_emails() {
    let handler = SendConfirmation::new(
        RecordingMailer::default(),
        InMemoryIdempotencyStore::default(),
        InMemoryRecipientLimit::default(),
    );

    handler
        .handle(&order_created(), &delivery())
        .await
        .expect("handled");
    handler
        .handle(&order_created(), &delivery())
        .await
        .expect("handled");

    assert_eq!(handler.mailer.sent().len(), 2);
}

#[tokio::test]
async fn a_throttled_send_releases_the_claim_so_the_retry_sends() {
    let throttled = BackendError::new("SES.SendEmail", true, "Throttling");
    let handler = SendConfirmation::new(
        RecordingMailer::failing_with([throttled]),
        InMemoryIdempotencyStore::default(),
        InMemoryRecipientLimit::default(),
    );
    let event = order_created();

    let error = handler
        .handle(&event, &delivery())
        .await
        .expect_err("throttled");
    assert_eq!(error.kind(), FailureKind::Transient);

    handler
        .handle(&event, &delivery())
        .await
        .expect("the retry sends");
    assert_eq!(handler.mailer.sent().len(), 1);
}

#[tokio::test]
async fn a_rejected_message_is_retried_with_its_reason_and_the_claim_released() {
    let rejected = BackendError::new(
        "SES.SendEmail",
        false,
        "MessageRejected: Email address is not verified.",
    );
    let handler = SendConfirmation::new(
        RecordingMailer::failing_with([rejected]),
        InMemoryIdempotencyStore::default(),
        InMemoryRecipientLimit::default(),
    );

    let error = handler
        .handle(&order_created(), &delivery())
        .await
        .expect_err("rejected");

    // An unverified sender can be verified while SQS retries.
    assert_eq!(error.kind(), FailureKind::Transient);
    assert!(error_chain(&error).contains("not verified"));
    handler
        .handle(&order_created(), &delivery())
        .await
        .expect("once SES accepts it, the retry sends");
    assert_eq!(handler.mailer.sent().len(), 1);
}

/// Claims the event's key for another attempt, held until `until`.
async fn held_elsewhere(
    claims: &InMemoryIdempotencyStore,
    event: &OrderCreated,
    until: chrono::DateTime<Utc>,
) -> ClaimToken {
    let token = ClaimToken::random();
    let held = claims
        .claim(&ClaimRequest {
            key: &claim_key(event),
            fingerprint: &event.order.order_id.to_string(),
            pending: "",
            token,
            hold_until: until,
            now: Utc::now(),
        })
        .await
        .expect("claimed");
    assert!(matches!(held, Claim::Acquired { .. }));
    token
}

#[tokio::test]
async fn an_event_held_by_another_attempt_beyond_our_deadline_is_retried_later() {
    let claims = InMemoryIdempotencyStore::default();
    let event = order_created();
    held_elsewhere(&claims, &event, Utc::now() + chrono::Duration::minutes(5)).await;
    let handler = SendConfirmation::new(
        RecordingMailer::default(),
        claims,
        InMemoryRecipientLimit::default(),
    );

    let error = handler.handle(&event, &delivery()).await.expect_err("busy");

    assert!(matches!(error, RecordError::InProgress { .. }));
    assert_eq!(error.kind(), FailureKind::Transient);
    assert!(handler.mailer.sent().is_empty());
}

#[tokio::test]
async fn the_claim_of_an_attempt_that_died_is_waited_out_and_taken_over_without_failing() {
    let claims = InMemoryIdempotencyStore::default();
    let event = order_created();
    held_elsewhere(
        &claims,
        &event,
        Utc::now() + chrono::Duration::milliseconds(300),
    )
    .await;
    let handler = SendConfirmation::new(
        RecordingMailer::default(),
        claims,
        InMemoryRecipientLimit::default(),
    );

    handler
        .handle(&event, &delivery())
        .await
        .expect("sent once the dead attempt's claim lapsed");

    assert_eq!(handler.mailer.sent().len(), 1);
}

#[tokio::test]
async fn an_attempt_waiting_on_a_live_one_sends_nothing_once_that_one_has_sent() {
    let claims = std::sync::Arc::new(InMemoryIdempotencyStore::default());
    let event = order_created();
    let other = held_elsewhere(&claims, &event, Utc::now() + chrono::Duration::seconds(20)).await;
    let handler = SendConfirmation::new(
        RecordingMailer::default(),
        claims.clone(),
        InMemoryRecipientLimit::default(),
    );

    let key = claim_key(&event);
    let delivery = delivery();
    let (handled, completed) = tokio::join!(handler.handle(&event, &delivery), async {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        claims
            .complete(&key, other, "ses-by-the-other", Utc::now())
            .await
    });

    handled.expect("done: the other attempt sent it");
    assert_eq!(completed.expect("recorded"), Completion::Recorded);
    assert!(handler.mailer.sent().is_empty());
}

#[tokio::test]
async fn a_send_whose_recording_fails_at_first_is_recorded_on_a_retry_and_never_sent_again() {
    let claims = InMemoryIdempotencyStore::default();
    claims.fail_next_completions(2);
    let handler = SendConfirmation::new(
        RecordingMailer::default(),
        claims,
        InMemoryRecipientLimit::default(),
    );
    let event = order_created();

    handler
        .handle(&event, &delivery())
        .await
        .expect("sent and recorded");
    handler
        .handle(&event, &delivery())
        .await
        .expect("a redelivery");

    assert_eq!(handler.mailer.sent().len(), 1);
    assert_eq!(
        handler.claims.result(&claim_key(&event)).as_deref(),
        Some("ses-1")
    );
}

#[tokio::test]
async fn an_event_id_reused_for_another_order_is_refused() {
    let handler = SendConfirmation::new(
        RecordingMailer::default(),
        InMemoryIdempotencyStore::default(),
        InMemoryRecipientLimit::default(),
    );
    let first = order_created();
    let mut reused = order_created();
    reused.event_id = first.event_id;

    handler.handle(&first, &delivery()).await.expect("handled");
    let error = handler
        .handle(&reused, &delivery())
        .await
        .expect_err("conflict");

    assert_eq!(error.kind(), FailureKind::Permanent);
    assert_eq!(handler.mailer.sent().len(), 1);
}

#[tokio::test]
async fn an_address_over_its_limit_gets_nothing_and_the_event_is_dead_lettered_with_the_reason() {
    let handler = SendConfirmation::new(
        RecordingMailer::default(),
        InMemoryIdempotencyStore::default(),
        InMemoryRecipientLimit::new(2),
    );
    let (first, second, third) = (order_created(), order_created(), order_created());

    for event in [&first, &second, &first] {
        handler
            .handle(event, &delivery())
            .await
            .expect("within the limit");
    }
    let error = handler
        .handle(&third, &delivery())
        .await
        .expect_err("over the limit");

    assert_eq!(
        handler.mailer.sent().len(),
        2,
        "a redelivery never counts twice"
    );
    assert_eq!(error.kind(), FailureKind::Permanent);
    let reason = error_chain(&error);
    assert!(
        reason.contains("a***@example.com already got 2 confirmations"),
        "{reason}"
    );
    assert!(!reason.contains("ada@"), "{reason}");
}

#[tokio::test]
async fn a_send_without_time_left_to_record_it_is_held_back_and_its_claim_released() {
    let handler = SendConfirmation::new(
        RecordingMailer::default(),
        InMemoryIdempotencyStore::default(),
        InMemoryRecipientLimit::default(),
    );
    let event = order_created();
    let late = Delivery {
        deadline: Utc::now() + chrono::Duration::seconds(3),
        ..delivery()
    };

    let error = handler.handle(&event, &late).await.expect_err("held back");

    assert!(matches!(error, RecordError::Backpressure(_)), "{error:?}");
    assert!(error.is_throttled(), "back-pressure, not a failure");
    assert!(handler.mailer.sent().is_empty());
    handler
        .handle(&event, &delivery())
        .await
        .expect("the next attempt claims it at once and sends");
    assert_eq!(handler.mailer.sent().len(), 1);
}

#[tokio::test]
async fn a_worker_whose_share_of_the_send_rate_is_used_up_holds_the_rest_back() {
    // One send a second: in an attempt with 10.5 s left, the first slot is
    // the only one before the last moment a send may start.
    let handler = SendConfirmation::new(
        RecordingMailer::default(),
        InMemoryIdempotencyStore::default(),
        InMemoryRecipientLimit::new(100),
    )
    .with_pacer(crate::Pacer::new(1, 1));
    let deadline = Utc::now() + chrono::Duration::milliseconds(10_500);
    let attempt = |id: &str| Delivery {
        deadline,
        ..Delivery::first(id, std::time::Duration::from_secs(60))
    };
    let (first, second) = (order_created(), order_created());

    handler.handle(&first, &attempt("m-1")).await.expect("sent");
    let error = handler
        .handle(&second, &attempt("m-2"))
        .await
        .expect_err("no slot left");

    assert!(error.is_throttled(), "{error:?}");
    assert_eq!(handler.mailer.sent().len(), 1);
}
