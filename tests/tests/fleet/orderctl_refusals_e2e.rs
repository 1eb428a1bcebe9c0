//! orderctl end to end, when it must say no: bad input gets a clear error
//! and a non-zero exit; a change outside local asks first, and refuses when
//! nobody can answer; a purge does not delete what arrived after it was
//! confirmed.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::orderctl_support::orderctl;
use fleet_tests::probes::{depth, drain, PATIENCE};
use fleet_tests::{LocalAws, Stack};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_a_clear_error_and_a_non_zero_exit() {
    let local = LocalAws::shared();
    let stack = Stack::create(local).await;
    let unknown_order = uuid::Uuid::new_v4().to_string();

    orderctl(&stack, &["dlq", "peek", "parcels"], &[])
        .await
        .failed_with("unknown queue \"parcels\"");
    orderctl(&stack, &["audit", "12345"], &[])
        .await
        .failed_with("not an order id");
    orderctl(&stack, &["order", "not-a-uuid"], &[])
        .await
        .failed_with("not an order id");
    orderctl(&stack, &["order", &unknown_order], &[])
        .await
        .failed_with(&format!("no order {unknown_order}"));
    orderctl(&stack, &["audit", &unknown_order], &[])
        .await
        .failed_with(&format!("no order {unknown_order}"));
    let missing = orderctl(
        &stack,
        &[
            "dlq",
            "redrive",
            "email",
            "--message-id",
            "nope",
            "--yes",
            "--json",
        ],
        &[],
    )
    .await;
    assert_eq!(missing.code, Some(1), "{missing:#?}");
    assert_eq!(missing.json()["notFound"], json!(["nope"]));

    // Another environment's names: its queues do not exist here.
    let other = tokio::process::Command::new(fleet_tests::binary("orderctl"))
        .args(["dlq", "list", "--env", "nosuchenv"])
        .envs(stack.env_vars())
        .env_remove("EMAIL_QUEUE")
        .env_remove("AUDIT_QUEUE")
        .stdin(Stdio::null())
        .output()
        .await
        .expect("orderctl runs");
    let stderr = String::from_utf8_lossy(&other.stderr);
    assert!(!other.status.success());
    assert!(
        stderr.contains("nosuchenv-OrderEmailQueue does not exist"),
        "{stderr}"
    );

    // Nobody listening: an error within the timeouts, not a hang.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port");
    let endpoint = format!("http://{closed}");
    let started = Instant::now();
    orderctl(
        &stack,
        &["dlq", "list"],
        &[("AWS_ENDPOINT_URL", endpoint.as_str())],
    )
    .await
    .failed_with(&format!("cannot reach {endpoint}"));
    assert!(started.elapsed() < Duration::from_secs(60));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redrive_purge_or_republish_asks_first_and_refuses_when_nobody_can_answer() {
    let local = LocalAws::shared();
    let stack = Stack::create(local).await;
    for body in ["one", "two"] {
        local
            .sqs()
            .send_message()
            .queue_url(&stack.audit_dlq_url)
            .message_body(body)
            .send()
            .await
            .expect("a dead letter");
    }

    // Each names what it would do, where, and to how many; exit code 2.
    let env = &stack.env;
    let order_id = uuid::Uuid::new_v4().to_string();
    for (args, change) in [
        (
            vec!["dlq", "redrive", "audit"],
            format!("redrive ~2 message(s) from {env}-OrderAuditDLQ to {env}-OrderAuditQueue"),
        ),
        (
            vec!["dlq", "purge", "audit"],
            format!("purge {env}-OrderAuditDLQ, deleting all ~2 message(s)"),
        ),
        (
            vec!["republish", &order_id],
            format!("publish the events of 1 order(s) ({order_id})"),
        ),
    ] {
        let refused = orderctl(&stack, &args, &[])
            .await
            .failed_with("stdin is not a terminal; pass --yes");
        assert_eq!(refused.code, Some(2), "{refused:#?}");
        assert!(refused.stderr.contains(&change), "{change:?}: {refused:#?}");
        assert!(refused.stderr.contains(&format!("(environment `{env}`)")));
    }
    assert_eq!(depth(local, &stack.audit_dlq_url).await, (2, 0));
    // A dry run changes nothing, so it never asks.
    orderctl(&stack, &["dlq", "redrive", "audit", "--dry-run"], &[])
        .await
        .succeeded();

    let purged = orderctl(&stack, &["dlq", "purge", "audit", "--yes", "--json"], &[])
        .await
        .succeeded()
        .json();
    assert_eq!(purged["deleted"], 2, "{purged:#}");
    assert_eq!(purged["arrivedAfterCutoff"], 0, "{purged:#}");
    // Deleted one by one, not by PurgeQueue: gone when the command ends.
    assert_eq!(depth(local, &stack.audit_dlq_url).await, (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_letter_that_arrives_after_the_purge_was_confirmed_survives_it() {
    let local = LocalAws::shared();
    let stack = Stack::create(local).await;
    let dlq = stack.audit_dlq_url.as_str();
    let send = |body: String| async move {
        local
            .sqs()
            .send_message()
            .queue_url(dlq)
            .message_body(body)
            .send()
            .await
            .expect("a dead letter");
    };
    // More than one receive's worth.
    for i in 1..=12 {
        send(format!("old {i}")).await;
    }

    let purge = orderctl(&stack, &["dlq", "purge", "audit", "--yes", "--json"], &[]);
    let late = async {
        // Once the purge has received a batch, its cut-off has passed; it
        // goes on receiving for seconds after its last old message.
        let started = Instant::now();
        while depth(local, dlq).await.0 == 12 {
            assert!(started.elapsed() < PATIENCE, "the purge never started");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        send("late".to_owned()).await;
    };
    let (purged, ()) = tokio::join!(purge, late);

    let purged = purged.succeeded().json();
    assert_eq!(purged["deleted"], 12, "{purged:#}");
    assert_eq!(purged["arrivedAfterCutoff"], 1, "{purged:#}");
    assert_eq!(purged["failed"], 0, "{purged:#}");
    assert_eq!(depth(local, dlq).await, (1, 0), "visible again at once");
    let left: Vec<String> = drain(local, dlq)
        .await
        .into_iter()
        .filter_map(|m| m.body)
        .collect();
    assert_eq!(left, ["late"]);
}
