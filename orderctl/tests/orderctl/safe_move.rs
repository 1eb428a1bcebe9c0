//! The safe move and the peek through the `Queues` port, on an in-memory
//! queue: what moves, what stays, how fast, and that nothing is lost.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_sqs::types::MessageAttributeValue;
use chrono::{DateTime, Utc};
use indicatif::ProgressBar;
use orderctl::dlq::safe_move::{safe_move, MovePlan, ToQueue};
use orderctl::dlq::scan::peek;
use orderctl::queues::in_memory::InMemoryQueues;
use orderctl::queues::Letter;

const DLQ: &str = "dlq";
const SOURCE: &str = "source";

/// A DLQ of `count` messages, all sent at `sent_at`.
fn with_dlq(count: usize, sent_at: DateTime<Utc>) -> InMemoryQueues {
    let queues = InMemoryQueues::default();
    for i in 1..=count {
        queues.push(
            DLQ,
            letter(&format!("m-{i}"), &format!("body {i}"), sent_at),
        );
    }
    queues
}

fn to_source(queues: &InMemoryQueues) -> ToQueue<'_, InMemoryQueues> {
    ToQueue {
        queues,
        url: SOURCE.to_owned(),
    }
}

fn letter(id: &str, body: &str, sent_at: DateTime<Utc>) -> Letter {
    let reason = MessageAttributeValue::builder()
        .data_type("String")
        .string_value("MessageRejected")
        .build()
        .expect("an attribute");
    Letter {
        message_id: id.to_owned(),
        receipt_handle: String::new(),
        body: body.to_owned(),
        attributes: HashMap::from([("FailureReason".to_owned(), reason)]),
        sent_at: Some(sent_at),
        approximate_receive_count: Some(1),
    }
}

fn plan() -> MovePlan {
    MovePlan {
        dlq_url: DLQ.to_owned(),
        max: None,
        message_ids: Vec::new(),
        dry_run: false,
        rate: None,
        cutoff: Utc::now(),
    }
}

fn earlier() -> DateTime<Utc> {
    Utc::now() - chrono::Duration::minutes(5)
}

#[tokio::test]
async fn every_message_moves_with_its_own_attributes_and_without_the_failure_note() {
    let queues = with_dlq(23, earlier());

    let tally = safe_move(
        &queues,
        &to_source(&queues),
        &plan(),
        &ProgressBar::hidden(),
    )
    .await;

    assert_eq!((tally.moved, tally.skipped), (23, 0));
    assert!(tally.failures.is_empty() && tally.aborted.is_none());
    assert!(queues.bodies(DLQ).is_empty());
    assert_eq!(queues.bodies(SOURCE).len(), 23);
    let moved = queues.letters(SOURCE);
    assert!(moved.iter().all(|letter| letter.attributes.is_empty()));
}

#[tokio::test]
async fn max_moves_at_most_that_many_and_leaves_the_rest_visible() {
    let queues = with_dlq(5, earlier());

    let tally = safe_move(
        &queues,
        &to_source(&queues),
        &MovePlan {
            max: Some(2),
            ..plan()
        },
        &ProgressBar::hidden(),
    )
    .await;

    assert_eq!(tally.moved, 2);
    assert_eq!(queues.bodies(SOURCE).len(), 2);
    assert_eq!(queues.bodies(DLQ).len(), 3);
    assert!(queues.all_visible(DLQ));
}

#[tokio::test]
async fn only_the_named_messages_move_and_an_unknown_name_is_reported() {
    let queues = with_dlq(12, earlier());
    let named = vec!["m-3".to_owned(), "m-11".to_owned(), "nope".to_owned()];

    let tally = safe_move(
        &queues,
        &to_source(&queues),
        &MovePlan {
            message_ids: named,
            ..plan()
        },
        &ProgressBar::hidden(),
    )
    .await;

    assert_eq!(queues.bodies(SOURCE), ["body 11", "body 3"]);
    assert_eq!(tally.moved, 2);
    assert_eq!(tally.skipped, 10);
    assert_eq!(tally.not_found, ["nope"]);
    assert!(queues.all_visible(DLQ));
}

#[tokio::test]
async fn a_dry_run_moves_nothing_and_lists_what_would_move() {
    let queues = with_dlq(4, earlier());

    let tally = safe_move(
        &queues,
        &to_source(&queues),
        &MovePlan {
            dry_run: true,
            max: Some(3),
            ..plan()
        },
        &ProgressBar::hidden(),
    )
    .await;

    assert_eq!(tally.moved, 0);
    assert_eq!(tally.would_move.len(), 3);
    assert!(queues.bodies(SOURCE).is_empty());
    assert_eq!(queues.bodies(DLQ).len(), 4);
    assert!(queues.all_visible(DLQ));
}

#[tokio::test]
async fn a_message_that_failed_again_during_the_move_is_left_for_the_next_one() {
    let queues = with_dlq(2, Utc::now() + chrono::Duration::minutes(1));

    let tally = safe_move(
        &queues,
        &to_source(&queues),
        &plan(),
        &ProgressBar::hidden(),
    )
    .await;

    assert_eq!((tally.moved, tally.skipped), (0, 2));
    assert!(queues.all_visible(DLQ));
}

#[tokio::test]
async fn a_refused_send_leaves_the_message_in_the_dlq_and_the_others_move() {
    let queues = with_dlq(3, earlier());
    queues.refuse("body 2");

    let tally = safe_move(
        &queues,
        &to_source(&queues),
        &plan(),
        &ProgressBar::hidden(),
    )
    .await;

    assert_eq!(tally.moved, 2);
    assert_eq!(tally.failures.len(), 1);
    assert_eq!(tally.failures[0].message_id, "m-2");
    assert_eq!(queues.bodies(DLQ), ["body 2"]);
    assert!(queues.all_visible(DLQ));
}

#[tokio::test(start_paused = true)]
async fn a_rate_spaces_the_moves() {
    let queues = with_dlq(5, earlier());
    let started = tokio::time::Instant::now();

    let tally = safe_move(
        &queues,
        &to_source(&queues),
        &MovePlan {
            rate: Some(2),
            ..plan()
        },
        &ProgressBar::hidden(),
    )
    .await;

    assert_eq!(tally.moved, 5);
    // Five moves at two a second: the fifth starts two seconds after the first.
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(3),
        "{took:?}"
    );
}

#[tokio::test]
async fn a_peek_pages_past_the_first_batch_and_leaves_everything_visible() {
    let queues = with_dlq(25, earlier());

    let all = peek(&queues, DLQ, 100).await.expect("peeked");
    let some = peek(&queues, DLQ, 12).await.expect("peeked");

    assert_eq!((all.letters.len(), all.complete), (25, true));
    assert_eq!((some.letters.len(), some.complete), (12, false));
    assert_eq!(queues.bodies(DLQ).len(), 25);
    assert!(queues.all_visible(DLQ));
}
