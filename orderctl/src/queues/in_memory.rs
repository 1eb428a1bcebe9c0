//! [`Queues`] in memory: a receive hides, a release shows, a delete needs the
//! latest receipt — as SQS does. Sends of refused bodies fail.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use aws_sdk_sqs::types::MessageAttributeValue;

use ports::BackendError;

use super::{Letter, Queues};

#[derive(Debug, Clone)]
struct Stored {
    letter: Letter,
    visible: bool,
}

#[derive(Debug, Default)]
pub struct InMemoryQueues {
    queues: Mutex<HashMap<String, Vec<Stored>>>,
    receipts: Mutex<u64>,
    refused: Mutex<Vec<String>>,
}

impl InMemoryQueues {
    /// Puts `letter` in the queue `url`, visible.
    pub fn push(&self, url: &str, letter: Letter) {
        if let Ok(mut queues) = self.queues.lock() {
            let stored = Stored {
                letter,
                visible: true,
            };
            queues.entry(url.to_owned()).or_default().push(stored);
        }
    }

    /// Sending this body fails from now on.
    pub fn refuse(&self, body: &str) {
        if let Ok(mut refused) = self.refused.lock() {
            refused.push(body.to_owned());
        }
    }

    /// Every message of the queue, hidden or not.
    pub fn letters(&self, url: &str) -> Vec<Letter> {
        let queues = self.queues.lock().map(|q| q.get(url).cloned());
        let stored = queues.ok().flatten().unwrap_or_default();
        stored.into_iter().map(|s| s.letter).collect()
    }

    /// The bodies of the queue's messages, sorted.
    pub fn bodies(&self, url: &str) -> Vec<String> {
        let mut bodies: Vec<String> = self.letters(url).into_iter().map(|l| l.body).collect();
        bodies.sort();
        bodies
    }

    pub fn all_visible(&self, url: &str) -> bool {
        let queues = self.queues.lock();
        queues.is_ok_and(|q| q.get(url).into_iter().flatten().all(|s| s.visible))
    }

    fn with<T>(&self, url: &str, f: impl FnOnce(&mut Vec<Stored>) -> T) -> Result<T, BackendError> {
        let mut queues = self
            .queues
            .lock()
            .map_err(|_| BackendError::new("queues", true, "poisoned"))?;
        Ok(f(queues.entry(url.to_owned()).or_default()))
    }
}

impl Queues for InMemoryQueues {
    async fn receive(
        &self,
        url: &str,
        max: usize,
        _: Duration,
    ) -> Result<Vec<Letter>, BackendError> {
        let mut counter = self
            .receipts
            .lock()
            .map_err(|_| BackendError::new("receive", true, "poisoned"))?;
        self.with(url, |stored| {
            let mut out = Vec::new();
            for stored in stored.iter_mut() {
                if stored.visible && out.len() < max {
                    *counter += 1;
                    stored.visible = false;
                    stored.letter.receipt_handle =
                        format!("{}#{counter}", stored.letter.message_id);
                    out.push(stored.letter.clone());
                }
            }
            out
        })
    }

    async fn send(&self, url: &str, letter: &Letter) -> Result<(), BackendError> {
        let refused = self.refused.lock().is_ok_and(|r| r.contains(&letter.body));
        if refused {
            return Err(BackendError::new("SQS.SendMessage", false, "refused"));
        }
        let mut sent = letter.clone();
        sent.attributes = letter.attributes_for_redrive();
        self.push(url, sent);
        Ok(())
    }

    async fn delete(&self, url: &str, receipt: &str) -> Result<(), BackendError> {
        self.with(url, |stored| {
            stored.retain(|s| s.letter.receipt_handle != receipt)
        })
    }

    async fn release(&self, url: &str, receipts: &[String]) -> Result<(), BackendError> {
        self.with(url, |stored| {
            for stored in stored.iter_mut() {
                if receipts.contains(&stored.letter.receipt_handle) {
                    stored.visible = true;
                }
            }
        })
    }
}

/// A DLQ message `dlq-1` with a worker's failure note (`MessageRejected`
/// after 3 receives of source message `src-1`) and its own `eventType`;
/// SQS counted 5 receives.
pub fn dead_letter(body: &str) -> Letter {
    let string = |value: &str| {
        MessageAttributeValue::builder()
            .data_type("String")
            .string_value(value)
            .build()
            .unwrap_or_else(|e| panic!("a valid attribute: {e}"))
    };
    Letter {
        message_id: "dlq-1".to_owned(),
        receipt_handle: "r-1".to_owned(),
        body: body.to_owned(),
        attributes: HashMap::from([
            (
                ports::failure_attributes::FAILURE_REASON.to_owned(),
                string("MessageRejected"),
            ),
            (
                ports::failure_attributes::RECEIVE_COUNT.to_owned(),
                string("3"),
            ),
            (
                ports::failure_attributes::SOURCE_MESSAGE_ID.to_owned(),
                string("src-1"),
            ),
            ("eventType".to_owned(), string("ORDER_CREATED")),
        ]),
        sent_at: None,
        approximate_receive_count: Some(5),
    }
}
