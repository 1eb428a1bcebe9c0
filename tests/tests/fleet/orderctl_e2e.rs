//! orderctl end to end: the real `target/debug/orderctl` against a test
//! stack on the local AWS, with the real order-api and workers producing the
//! dead letters it inspects and moves back.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::orderctl_support::{mails, orderctl, strings};
use fleet_tests::app::App;
use fleet_tests::probes::depth;
use fleet_tests::probes::eventually;
use fleet_tests::process::FleetProcess;
use fleet_tests::{LocalAws, Stack};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_email_that_failed_into_the_dlq_is_found_explained_and_sent_once_after_a_redrive() {
    let local = LocalAws::shared();
    let stack = Stack::create(local).await;
    let sender = stack.own_sender(local).await;
    let ses = local.ses();
    let email = FleetProcess::start("email-worker", &stack, &[("SENDER_EMAIL", sender.clone())]);
    let audit = FleetProcess::start("audit-worker", &stack, &[]);
    let app = App::spawn(&stack, &[]);
    let logs = [&email, &audit, &app.process];
    ses.delete_identity()
        .identity(&sender)
        .send()
        .await
        .expect("removing the sender");

    let mut orders = Vec::new();
    for i in 0..3 {
        let customer = format!("buyer-{i}-{}@example.com", stack.env);
        let body = json!({
            "customerName": "Ada Lovelace",
            "customerEmail": customer,
            "items": [{"productId": "PROD-001", "quantity": 2, "price": 29.99}]
        });
        let (status, answer) = app.post_order(&body.to_string(), None).await;
        assert_eq!(status, 200, "{answer}");
        let order_id = answer["orderId"].as_str().expect("an order id").to_owned();
        orders.push((order_id, customer));
    }
    let ids: BTreeSet<String> = orders.iter().map(|(id, _)| id.clone()).collect();
    eventually("three emails in the DLQ", &logs, || async {
        (depth(local, &stack.email_dlq_url).await == (3, 0)).then_some(())
    })
    .await;

    // list: the depth, the source queue, an age.
    let list = orderctl(&stack, &["dlq", "list", "--json"], &[])
        .await
        .succeeded()
        .json();
    let queues = list["deadLetterQueues"].as_array().expect("rows");
    let email_row = queues
        .iter()
        .find(|q| q["workflow"] == "email")
        .expect("the email DLQ");
    assert_eq!(email_row["depth"], 3, "{list:#}");
    assert_eq!(
        email_row["sourceQueue"],
        format!("{}-OrderEmailQueue", stack.env)
    );
    assert!(email_row["oldestAgeSeconds"].is_i64(), "{list:#}");
    let audit_row = queues
        .iter()
        .find(|q| q["workflow"] == "audit")
        .expect("the audit DLQ");
    assert_eq!(audit_row["depth"], 0, "{list:#}");

    // peek: each order with its reason, and nothing consumed.
    let peek = orderctl(&stack, &["dlq", "peek", "email", "--json"], &[])
        .await
        .succeeded()
        .json();
    let messages = &peek["messages"];
    assert_eq!(strings(messages, "orderId"), ids, "{peek:#}");
    for message in messages.as_array().expect("messages") {
        let reason = message["failureReason"].as_str().unwrap_or_default();
        assert!(reason.contains("MessageRejected"), "{message:#}");
        assert!(
            message["receiveCount"].as_u64().is_some_and(|n| n >= 1),
            "{message:#}"
        );
        assert!(message["sentAt"].is_string(), "{message:#}");
    }
    assert_eq!(
        depth(local, &stack.email_dlq_url).await,
        (3, 0),
        "a peek consumed"
    );
    let table = orderctl(&stack, &["dlq", "peek", "email"], &[])
        .await
        .succeeded();
    for id in &ids {
        assert!(table.stdout.contains(id.as_str()), "{}", table.stdout);
    }
    let message_id = |order: &str| -> String {
        let found = messages.as_array().into_iter().flatten();
        let mut found = found.filter(|m| m["orderId"] == order);
        found
            .next()
            .and_then(|m| m["messageId"].as_str())
            .expect("a message")
            .to_owned()
    };

    // order: stored, published, and in the DLQ.
    let (first, _) = &orders[0];
    let order = orderctl(&stack, &["order", first, "--json"], &[])
        .await
        .succeeded()
        .json();
    assert_eq!(order["published"], true, "{order:#}");
    assert_eq!(order["order"]["orderId"], first.as_str());
    let hits = order["deadLetters"].as_array().expect("hits");
    assert_eq!(hits.len(), 1, "{order:#}");
    assert_eq!(hits[0]["workflow"], "email");
    assert_eq!(
        steps(&order),
        [
            "stored done",
            "published done",
            "emailed failed",
            "audited done",
            "dead-lettered failed",
        ],
        "{order:#}"
    );

    ses.verify_email_identity()
        .email_address(&sender)
        .send()
        .await
        .expect("restoring the sender");

    // --dry-run moves nothing.
    let dry = orderctl(
        &stack,
        &["dlq", "redrive", "email", "--dry-run", "--json"],
        &[],
    )
    .await
    .succeeded()
    .json();
    assert_eq!(strings(&dry["wouldMove"], "orderId"), ids, "{dry:#}");
    assert_eq!(dry["moved"], 0);
    assert_eq!(
        depth(local, &stack.email_dlq_url).await,
        (3, 0),
        "a dry run moved"
    );

    // --message-id moves that one only.
    let (chosen, chosen_customer) = &orders[1];
    let chosen_message = message_id(chosen);
    let one = orderctl(
        &stack,
        &[
            "dlq",
            "redrive",
            "email",
            "--message-id",
            &chosen_message,
            "--yes",
            "--json",
        ],
        &[],
    )
    .await
    .succeeded()
    .json();
    // How many others it looked at before finding it depends on SQS's order.
    assert_eq!(one["moved"], 1, "{one:#}");
    assert_eq!(depth(local, &stack.email_dlq_url).await, (2, 0));
    eventually("the chosen order's email", &logs, || async {
        (mails(local).await.get(chosen_customer) == Some(&1)).then_some(())
    })
    .await;

    // --max 1 moves one.
    let max = orderctl(
        &stack,
        &["dlq", "redrive", "email", "--max", "1", "--yes", "--json"],
        &[],
    )
    .await
    .succeeded()
    .json();
    assert_eq!(max["moved"], 1, "{max:#}");
    assert_eq!(depth(local, &stack.email_dlq_url).await, (1, 0));

    // The rest: the local AWS has no move tasks, so message by message.
    let rest = orderctl(&stack, &["dlq", "redrive", "email", "--yes", "--json"], &[])
        .await
        .succeeded()
        .json();
    assert_eq!(rest["method"], "safe-move", "{rest:#}");
    assert!(
        rest["fallbackReason"]
            .as_str()
            .is_some_and(|r| r.contains("500")),
        "{rest:#}"
    );
    assert_eq!(
        (&rest["moved"], &rest["failed"]),
        (&json!(1), &json!(0)),
        "{rest:#}"
    );
    assert_eq!(depth(local, &stack.email_dlq_url).await, (0, 0));

    eventually("one email to each customer", &logs, || async {
        let mails = mails(local).await;
        orders
            .iter()
            .all(|(_, customer)| mails.get(customer) == Some(&1))
            .then_some(())
    })
    .await;
    // Long enough for a duplicate to be redelivered and sent (visibility 2 s).
    tokio::time::sleep(Duration::from_secs(6)).await;
    let mails = mails(local).await;
    for (_, customer) in &orders {
        assert_eq!(mails.get(customer), Some(&1), "{customer}: {mails:?}");
    }
    assert_eq!(depth(local, &stack.email_dlq_url).await, (0, 0));

    for (order_id, _) in &orders {
        let trail = orderctl(&stack, &["audit", order_id, "--json"], &[])
            .await
            .succeeded()
            .json();
        let records = trail["records"].as_array().expect("records");
        let created = records.iter().filter(|r| r["eventType"] == "ORDER_CREATED");
        assert_eq!(created.count(), 1, "{trail:#}");
    }
    let order = orderctl(&stack, &["order", first, "--json"], &[])
        .await
        .succeeded()
        .json();
    assert_eq!(order["deadLetters"], json!([]), "{order:#}");
    assert_eq!(order["auditTrail"].as_array().map(Vec::len), Some(1));
    // The timeline: every step done, each with when.
    assert_eq!(
        steps(&order),
        [
            "stored done",
            "published done",
            "emailed done",
            "audited done",
        ],
        "{order:#}"
    );
    let timeline = order["timeline"].as_array().expect("a timeline");
    assert!(timeline.iter().all(|s| s["at"].is_string()), "{order:#}");
    assert!(timeline[2]["detail"]
        .as_str()
        .is_some_and(|d| d.starts_with("SES message")));
}

/// `step state` of each step of an `orderctl order --json` timeline.
fn steps(order: &serde_json::Value) -> Vec<String> {
    order["timeline"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            let text = |k: &str| s[k].as_str().unwrap_or_default().to_owned();
            format!("{} {}", text("step"), text("state"))
        })
        .collect()
}
