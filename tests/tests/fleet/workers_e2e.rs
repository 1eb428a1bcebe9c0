//! End to end: orders published to a test stack's topic become exactly one
//! email and one audit record each, however often they are delivered — with
//! the real worker binaries in local mode against moto.

use std::collections::HashMap;

use fleet_tests::probes::{depth, eventually};
use fleet_tests::workers::{audit_trail, mail_to, order_event, publish, send_to_queue, Worker};
use fleet_tests::{LocalAws, Stack};
use rust_decimal::Decimal;

const ORDERS: usize = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_orders_make_twenty_emails_and_twenty_audit_records_however_often_delivered() {
    let local = LocalAws::shared();
    let stack = Stack::create(local).await;
    let mut email = Worker::start("email-worker", &stack, &[]);
    let mut audit = Worker::start("audit-worker", &stack, &[]);
    let workers = [&email, &audit];
    let events: Vec<_> = (0..ORDERS).map(|i| order_event(&stack, i)).collect();

    for event in &events {
        publish(local, &stack, event).await;
    }

    for event in &events {
        let recipient = event.order.customer_email.as_str();
        eventually(&format!("the email to {recipient}"), &workers, || async {
            (!mail_to(local, recipient).await.is_empty()).then_some(())
        })
        .await;
        eventually(
            &format!("the audit record of {}", event.order.order_id),
            &workers,
            || async {
                (!audit_trail(local, &stack, event.order.order_id)
                    .await
                    .is_empty())
                .then_some(())
            },
        )
        .await;
    }

    // Every event once more, straight into each queue: a duplicate delivery.
    for event in &events {
        send_to_queue(local, &stack.email_queue_url, &event.to_json()).await;
        send_to_queue(local, &stack.audit_queue_url, &event.to_json()).await;
    }
    for queue in [&stack.email_queue_url, &stack.audit_queue_url] {
        eventually(&format!("{queue} to drain"), &workers, || async {
            (depth(local, queue).await == (0, 0)).then_some(())
        })
        .await;
    }

    let mut subjects = HashMap::new();
    for event in &events {
        let order = &event.order;
        let mail = mail_to(local, order.customer_email.as_str()).await;
        assert_eq!(mail.len(), 1, "one email for order {}", order.order_id);
        let mail = &mail[0];
        assert_eq!(mail.source, stack.sender_email);
        assert_eq!(
            mail.subject,
            format!("Order Confirmation - Order #{}", order.order_id)
        );
        assert!(
            mail.body.contains("Customer &lt;"),
            "escaped name in {}",
            mail.body
        );
        assert!(mail.body.contains(">Ten-cent nail</td>"));
        assert!(mail.body.contains("<strong>40.28</strong>"));
        subjects.insert(mail.subject.clone(), ());

        let trail = audit_trail(local, &stack, order.order_id).await;
        assert_eq!(
            trail.len(),
            1,
            "one audit record for order {}",
            order.order_id
        );
        let record = &trail[0];
        assert_eq!(record.event_id, event.event_id);
        assert_eq!(record.event_type, "ORDER_CREATED");
        assert_eq!(
            record.audit_id.get_version_num(),
            5,
            "derived from the event id"
        );
        assert_eq!(record.timestamp, order.created_at);
        assert_eq!(record.details.item_count, 2);
        assert_eq!(record.details.total_amount.amount(), Decimal::new(4028, 2));
        assert_eq!(record.details.customer_email, order.customer_email);
    }
    assert_eq!(subjects.len(), ORDERS);
    assert_eq!(depth(local, &stack.email_dlq_url).await, (0, 0));
    assert_eq!(depth(local, &stack.audit_dlq_url).await, (0, 0));

    // SIGTERM: each finishes its batch and exits cleanly.
    for worker in [&mut email, &mut audit] {
        let status = worker.stop();
        assert!(
            status.is_some_and(|s| s.success()),
            "{} exited with {status:?}\n{}",
            worker.name,
            worker.log_tail()
        );
    }
}
