//! The safe move and the peek through the `Queues` port, on an in-memory
//! queue: what moves, what stays, how fast, and that nothing is lost.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use aws_sdk_sqs::types::MessageAttributeValue;
use chrono::{DateTime, Utc};
use indicatif::ProgressBar;
use orderctl::dlq::safe_move::{safe_move, MovePlan};
use orderctl::dlq::scan::peek;
use orderctl::dlq::{Letter, Queues};
use orderctl::error::CtlError;

const DLQ: &str = "dlq";
const SOURCE: &str = "source";

#[derive(Debug, Clone)]
struct Stored {
    letter: Letter,
    visible: bool,
}

/// Queues in memory: a receive hides, a release shows, a delete needs the
/// latest receipt — as SQS does. Sends of bodies in `refuse` fail.
#[derive(Debug, Default)]
struct InMemoryQueues {
    queues: Mutex<HashMap<String, Vec<Stored>>>,
    receipts: Mutex<u64>,
    refuse: Vec<String>,
}

impl InMemoryQueues {
    fn with_dlq(count: usize, sent_at: DateTime<Utc>) -> Self {
        let letters = (1..=count)
            .map(|i| Stored {
                letter: letter(&format!("m-{i}"), &format!("body {i}"), sent_at),
                visible: true,
            })
            .collect();
        InMemoryQueues {
            queues: Mutex::new(HashMap::from([(DLQ.to_owned(), letters)])),
            ..Default::default()
        }
    }

    fn bodies(&self, queue: &str) -> Vec<String> {
        let queues = self.queues.lock().expect("not poisoned");
        let mut bodies: Vec<String> = queues
            .get(queue)
            .into_iter()
            .flatten()
            .map(|s| s.letter.body.clone())
            .collect();
        bodies.sort();
        bodies
    }

    fn all_visible(&self, queue: &str) -> bool {
        let queues = self.queues.lock().expect("not poisoned");
        queues.get(queue).into_iter().flatten().all(|s| s.visible)
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

impl Queues for InMemoryQueues {
    async fn receive(&self, url: &str, max: usize, _: Duration) -> Result<Vec<Letter>, CtlError> {
        let mut queues = self.queues.lock().expect("not poisoned");
        let mut counter = self.receipts.lock().expect("not poisoned");
        let mut out = Vec::new();
        for stored in queues.entry(url.to_owned()).or_default() {
            if stored.visible && out.len() < max {
                *counter += 1;
                stored.visible = false;
                stored.letter.receipt_handle = format!("{}#{counter}", stored.letter.message_id);
                out.push(stored.letter.clone());
            }
        }
        Ok(out)
    }

    async fn send(&self, url: &str, letter: &Letter) -> Result<(), CtlError> {
        if self.refuse.contains(&letter.body) {
            return Err(CtlError::Aws {
                action: "sqs:SendMessage",
                source: "refused".into(),
            });
        }
        let mut sent = letter.clone();
        sent.attributes = letter.attributes_for_redrive();
        let mut queues = self.queues.lock().expect("not poisoned");
        queues.entry(url.to_owned()).or_default().push(Stored {
            letter: sent,
            visible: true,
        });
        Ok(())
    }

    async fn delete(&self, url: &str, receipt: &str) -> Result<(), CtlError> {
        let mut queues = self.queues.lock().expect("not poisoned");
        queues
            .entry(url.to_owned())
            .or_default()
            .retain(|s| s.letter.receipt_handle != receipt);
        Ok(())
    }

    async fn release(&self, url: &str, receipts: &[String]) -> Result<(), CtlError> {
        let mut queues = self.queues.lock().expect("not poisoned");
        for stored in queues.entry(url.to_owned()).or_default() {
            if receipts.contains(&stored.letter.receipt_handle) {
                stored.visible = true;
            }
        }
        Ok(())
    }
}

fn plan() -> MovePlan {
    MovePlan {
        dlq_url: DLQ.to_owned(),
        destination_url: SOURCE.to_owned(),
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
    let queues = InMemoryQueues::with_dlq(23, earlier());

    let tally = safe_move(&queues, &plan(), &ProgressBar::hidden()).await;

    assert_eq!((tally.moved, tally.skipped), (23, 0));
    assert!(tally.failures.is_empty() && tally.aborted.is_none());
    assert!(queues.bodies(DLQ).is_empty());
    assert_eq!(queues.bodies(SOURCE).len(), 23);
    let moved = queues.queues.lock().expect("not poisoned")[SOURCE].clone();
    assert!(moved.iter().all(|s| s.letter.attributes.is_empty()));
}

#[tokio::test]
async fn max_moves_at_most_that_many_and_leaves_the_rest_visible() {
    let queues = InMemoryQueues::with_dlq(5, earlier());

    let tally = safe_move(
        &queues,
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
    let queues = InMemoryQueues::with_dlq(12, earlier());
    let named = vec!["m-3".to_owned(), "m-11".to_owned(), "nope".to_owned()];

    let tally = safe_move(
        &queues,
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
    let queues = InMemoryQueues::with_dlq(4, earlier());

    let tally = safe_move(
        &queues,
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
    let queues = InMemoryQueues::with_dlq(2, Utc::now() + chrono::Duration::minutes(1));

    let tally = safe_move(&queues, &plan(), &ProgressBar::hidden()).await;

    assert_eq!((tally.moved, tally.skipped), (0, 2));
    assert!(queues.all_visible(DLQ));
}

#[tokio::test]
async fn a_refused_send_leaves_the_message_in_the_dlq_and_the_others_move() {
    let mut queues = InMemoryQueues::with_dlq(3, earlier());
    queues.refuse = vec!["body 2".to_owned()];

    let tally = safe_move(&queues, &plan(), &ProgressBar::hidden()).await;

    assert_eq!(tally.moved, 2);
    assert_eq!(tally.failures.len(), 1);
    assert_eq!(tally.failures[0].message_id, "m-2");
    assert_eq!(queues.bodies(DLQ), ["body 2"]);
    assert!(queues.all_visible(DLQ));
}

#[tokio::test(start_paused = true)]
async fn a_rate_spaces_the_moves() {
    let queues = InMemoryQueues::with_dlq(5, earlier());
    let started = tokio::time::Instant::now();

    let tally = safe_move(
        &queues,
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
    let queues = InMemoryQueues::with_dlq(25, earlier());

    let all = peek(&queues, DLQ, 100).await.expect("peeked");
    let some = peek(&queues, DLQ, 12).await.expect("peeked");

    assert_eq!((all.letters.len(), all.complete), (25, true));
    assert_eq!((some.letters.len(), some.complete), (12, false));
    assert_eq!(queues.bodies(DLQ).len(), 25);
    assert!(queues.all_visible(DLQ));
}
