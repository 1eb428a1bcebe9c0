//! End to end: what cannot be done lands in the queue's DLQ with its reason,
//! the workers go on, and the two workflows never hold each other up.

use fleet_tests::probes::eventually;
use fleet_tests::workers::{
    audit_trail, hold_email_claim, mail_to, order_event, publish, send_to_queue, take_dead_letters,
    DeadLetter, Worker,
};
use fleet_tests::{LocalAws, Stack};

async fn one_dead_letter(local: &LocalAws, dlq_url: &str, workers: &[&Worker]) -> DeadLetter {
    let mut letters = eventually(&format!("a message in {dlq_url}"), workers, || async {
        let letters = take_dead_letters(local, dlq_url).await;
        (!letters.is_empty()).then_some(letters)
    })
    .await;
    assert_eq!(letters.len(), 1, "{letters:#?}");
    letters.remove(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_goes_to_each_dlq_with_its_reason_while_good_orders_go_through() {
    let local = LocalAws::shared();
    let stack = Stack::create(local).await;
    let mut email = Worker::start("email-worker", &stack, &[]);
    let mut audit = Worker::start("audit-worker", &stack, &[]);
    let before = order_event(&stack, 1);
    let after = order_event(&stack, 2);

    publish(local, &stack, &before).await;
    send_to_queue(local, &stack.email_queue_url, "this is not an order").await;
    send_to_queue(
        local,
        &stack.audit_queue_url,
        r#"{"eventType":"ORDER_SHIPPED"}"#,
    )
    .await;
    publish(local, &stack, &after).await;

    let workers = [&email, &audit];
    let email_letter = one_dead_letter(local, &stack.email_dlq_url, &workers).await;
    assert_eq!(email_letter.body, "this is not an order");
    assert!(email_letter.attributes["FailureReason"].starts_with("unreadable message"));
    assert_eq!(email_letter.attributes["FailureKind"], "permanent");
    assert_eq!(email_letter.attributes["Component"], "email-worker");
    assert_eq!(email_letter.attributes["ReceiveCount"], "1");
    assert!(email_letter.attributes["SourceQueue"].ends_with("-OrderEmailQueue"));

    let audit_letter = one_dead_letter(local, &stack.audit_dlq_url, &workers).await;
    assert!(
        audit_letter.attributes["FailureReason"].contains("unknown eventType \"ORDER_SHIPPED\""),
        "{audit_letter:#?}"
    );
    assert_eq!(audit_letter.attributes["Component"], "audit-worker");

    for event in [&before, &after] {
        let recipient = event.order.customer_email.as_str();
        eventually(&format!("the email to {recipient}"), &workers, || async {
            (mail_to(local, recipient).await.len() == 1).then_some(())
        })
        .await;
        eventually("the audit record", &workers, || async {
            (audit_trail(local, &stack, event.order.order_id).await.len() == 1).then_some(())
        })
        .await;
    }
    assert!(
        email.is_running() && audit.is_running(),
        "a bad message stopped a worker"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_its_sender_identity_an_email_is_dead_lettered_and_the_audit_still_written() {
    let local = LocalAws::shared();
    let stack = Stack::create(local).await;
    let sender = stack.own_sender(local).await;
    let ses = local.ses();
    let email = Worker::start("email-worker", &stack, &[("SENDER_EMAIL", sender.clone())]);
    let audit = Worker::start("audit-worker", &stack, &[]);
    let workers = [&email, &audit];
    let delivered = order_event(&stack, 1);
    publish(local, &stack, &delivered).await;
    let recipient = delivered.order.customer_email.as_str();
    eventually(
        "the email sent while the sender was verified",
        &workers,
        || async { (!mail_to(local, recipient).await.is_empty()).then_some(()) },
    )
    .await;

    ses.delete_identity()
        .identity(&sender)
        .send()
        .await
        .expect("removing the sender");
    let rejected = order_event(&stack, 2);
    publish(local, &stack, &rejected).await;

    let letter = one_dead_letter(local, &stack.email_dlq_url, &workers).await;
    assert_eq!(letter.body, rejected.to_json());
    assert!(
        letter.attributes["FailureReason"].contains("MessageRejected"),
        "{letter:#?}"
    );
    // Retried while an operator could still verify the sender; dead-lettered,
    // with the reason, on the attempt SQS would have given up on.
    assert_eq!(letter.attributes["FailureKind"], "transient");
    assert_eq!(letter.attributes["ReceiveCount"], "10", "{letter:#?}");
    assert!(mail_to(local, rejected.order.customer_email.as_str())
        .await
        .is_empty());
    eventually(
        "the audit record of the rejected email's order",
        &workers,
        || async {
            (audit_trail(local, &stack, rejected.order.order_id)
                .await
                .len()
                == 1)
                .then_some(())
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transient_failure_reaches_the_dlq_on_the_last_of_ten_attempts_with_its_reason() {
    let local = LocalAws::shared();
    let stack = Stack::create(local).await;
    let event = order_event(&stack, 1);
    // Another attempt holds this event's email for an hour: every delivery
    // finds it busy, which is transient.
    hold_email_claim(local, &stack, &event).await;
    let email = Worker::start("email-worker", &stack, &[]);
    let audit = Worker::start("audit-worker", &stack, &[]);
    let workers = [&email, &audit];

    publish(local, &stack, &event).await;

    let letter = one_dead_letter(local, &stack.email_dlq_url, &workers).await;
    assert_eq!(letter.attributes["FailureKind"], "transient");
    assert_eq!(letter.attributes["ReceiveCount"], "10");
    assert!(
        letter.attributes["FailureReason"].contains("another attempt is handling email#"),
        "{letter:#?}"
    );
    assert!(mail_to(local, event.order.customer_email.as_str())
        .await
        .is_empty());
    eventually("the audit record", &workers, || async {
        (audit_trail(local, &stack, event.order.order_id).await.len() == 1).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_gets_no_more_than_its_hourly_limit_and_the_rest_is_explained_in_the_dlq() {
    let local = LocalAws::shared();
    let stack = Stack::create(local).await;
    let email = Worker::start(
        "email-worker",
        &stack,
        &[("EMAIL_LIMIT_PER_HOUR", "2".to_owned())],
    );
    // Three orders for one inbox, as a script against the public API would post.
    let events: Vec<_> = (0..3)
        .map(|i| {
            let mut event = order_event(&stack, i);
            event.order.customer_email = order_event(&stack, 0).order.customer_email;
            event
        })
        .collect();
    let inbox = events[0].order.customer_email.clone();

    // One at a time, mailed before the next: moto's conditional writes are
    // not atomic across its request threads (DynamoDB's are), so records of
    // one batch could all pass the limit's condition at once here.
    for (sent, event) in events.iter().enumerate() {
        publish(local, &stack, event).await;
        if sent < 2 {
            eventually("the confirmation", &[&email], || async {
                (mail_to(local, inbox.as_str()).await.len() == sent + 1).then_some(())
            })
            .await;
        }
    }

    let letter = one_dead_letter(local, &stack.email_dlq_url, &[&email]).await;
    assert_eq!(letter.attributes["FailureKind"], "permanent");
    assert!(
        letter.attributes["FailureReason"].contains("already got 2 confirmations this hour"),
        "{letter:#?}"
    );
    assert!(
        !letter.attributes["FailureReason"].contains(inbox.as_str()),
        "the address is masked: {letter:#?}"
    );
    eventually("two confirmations", &[&email], || async {
        (mail_to(local, inbox.as_str()).await.len() == 2).then_some(())
    })
    .await;
}
