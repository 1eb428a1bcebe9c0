use std::collections::VecDeque;
use std::sync::Mutex;

use shared::domain::{parse_order, OrderId};
use shared::fakes::InMemoryIdempotencyStore;
use shared::ports::{BackendError, Email, FailureKind, Sent};
use uuid::Uuid;

use super::*;

/// Keeps every email it sends; answers with the scripted failures first.
#[derive(Default)]
struct RecordingMailer {
    sent: Mutex<Vec<Email>>,
    failures: Mutex<VecDeque<BackendError>>,
}

impl RecordingMailer {
    fn failing_with(errors: impl IntoIterator<Item = BackendError>) -> Self {
        RecordingMailer {
            failures: Mutex::new(errors.into_iter().collect()),
            ..Default::default()
        }
    }

    fn sent(&self) -> Vec<Email> {
        self.sent.lock().expect("not poisoned").clone()
    }
}

impl Mailer for RecordingMailer {
    async fn send(&self, email: &Email) -> Result<Sent, BackendError> {
        if let Some(error) = self.failures.lock().expect("not poisoned").pop_front() {
            return Err(error);
        }
        let mut sent = self.sent.lock().expect("not poisoned");
        sent.push(email.clone());
        Ok(Sent {
            message_id: format!("ses-{}", sent.len()),
        })
    }
}

fn event() -> OrderCreated {
    let order = parse_order(
        br#"{"customerName":"Ada Lovelace","customerEmail":"ada@example.com","items":[{"productId":"p-1","quantity":1,"price":5}]}"#,
    )
    .expect("a valid order")
    .accept(OrderId::new(), Utc::now());
    OrderCreated::new(Uuid::new_v4(), "corr-1", order)
}

fn delivery() -> Delivery {
    Delivery {
        message_id: "m-1".to_owned(),
        receive_count: 1,
    }
}

#[tokio::test]
async fn an_event_delivered_three_times_sends_one_email() {
    let handler = SendConfirmation::new(
        RecordingMailer::default(),
        InMemoryIdempotencyStore::default(),
    );
    let event = event();

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
    );

    handler
        .handle(&event(), &delivery())
        .await
        .expect("handled");
    handler
        .handle(&event(), &delivery())
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
    );
    let event = event();

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
    );

    let error = handler
        .handle(&event(), &delivery())
        .await
        .expect_err("rejected");

    // An unverified sender can be verified while SQS retries.
    assert_eq!(error.kind(), FailureKind::Transient);
    assert!(error_chain(&error).contains("not verified"));
    handler
        .handle(&event(), &delivery())
        .await
        .expect("once SES accepts it, the retry sends");
    assert_eq!(handler.mailer.sent().len(), 1);
}

#[tokio::test]
async fn an_event_being_sent_elsewhere_is_retried_later() {
    let claims = InMemoryIdempotencyStore::default();
    let event = event();
    let key = claim_key(&event);
    let held = claims
        .claim(&key, &event.order.order_id.to_string(), "", Utc::now())
        .await
        .expect("claimed");
    assert!(matches!(held, Claim::Acquired { .. }));
    let handler = SendConfirmation::new(RecordingMailer::default(), claims);

    let error = handler.handle(&event, &delivery()).await.expect_err("busy");

    assert!(matches!(error, RecordError::InProgress { .. }));
    assert_eq!(error.kind(), FailureKind::Transient);
    assert!(handler.mailer.sent().is_empty());
}

#[tokio::test]
async fn an_event_id_reused_for_another_order_is_refused() {
    let handler = SendConfirmation::new(
        RecordingMailer::default(),
        InMemoryIdempotencyStore::default(),
    );
    let first = event();
    let mut reused = event();
    reused.event_id = first.event_id;

    handler.handle(&first, &delivery()).await.expect("handled");
    let error = handler
        .handle(&reused, &delivery())
        .await
        .expect_err("conflict");

    assert_eq!(error.kind(), FailureKind::Permanent);
    assert_eq!(handler.mailer.sent().len(), 1);
}
