//! A dead-letter message as an operator reads it ([`LetterView`]), and one that a
//! redrive or a purge could not handle ([`LetterFailure`]).

use std::io::Write;

use adapters::failure_attributes as note;
use domain::{iso8601, OrderId};
use serde::Serialize;

use crate::output::{clip, or_dash, table};
use crate::queues::Letter;
use crate::target::Workflow;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LetterView {
    pub message_id: String,
    pub order_id: Option<OrderId>,
    pub event_type: Option<String>,
    /// Deliveries from the source queue before the worker gave up.
    pub receive_count: Option<u32>,
    /// SQS's count, which every peek raises too.
    pub approximate_receive_count: Option<u32>,
    pub sent_at: Option<String>,
    pub failed_at: Option<String>,
    pub failure_kind: Option<String>,
    pub failure_reason: Option<String>,
    pub source_queue: Option<String>,
    pub source_message_id: Option<String>,
    pub component: Option<String>,
    /// No worker dead-lettered it (so there is no failure note): SQS's redrive
    /// policy moved it after its last receive (the worker died or timed out).
    pub moved_by_sqs: bool,
    /// The start of a body that is not an order event, to tell what it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_preview: Option<String>,
}

impl LetterView {
    /// Why the message is here: the worker's reason, or that SQS moved it.
    pub fn reason(&self) -> String {
        match (&self.failure_reason, self.receive_count) {
            (Some(reason), _) => reason.clone(),
            (None, Some(receives)) => format!("moved by SQS after {receives} receives"),
            (None, None) => "moved by SQS".to_owned(),
        }
    }

    pub fn of(letter: &Letter) -> LetterView {
        let text = |name| letter.text(name).map(str::to_owned);
        let order_id = letter.order_id();
        LetterView {
            message_id: letter.message_id.clone(),
            order_id,
            event_type: letter.event_field("eventType"),
            receive_count: letter.receive_count(),
            approximate_receive_count: letter.approximate_receive_count,
            sent_at: letter.sent_at.as_ref().map(iso8601::format),
            failed_at: text(note::FAILED_AT),
            failure_kind: text(note::FAILURE_KIND),
            failure_reason: text(note::FAILURE_REASON),
            source_queue: text(note::SOURCE_QUEUE),
            source_message_id: text(note::SOURCE_MESSAGE_ID),
            component: text(note::COMPONENT),
            moved_by_sqs: letter.text(note::FAILURE_REASON).is_none(),
            body_preview: order_id.is_none().then(|| clip(&letter.body, 200)),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LetterFailure {
    pub message_id: String,
    pub order_id: Option<OrderId>,
    pub reason: String,
}

impl LetterFailure {
    pub fn of(letter: &Letter, reason: String) -> LetterFailure {
        LetterFailure {
            message_id: letter.message_id.clone(),
            order_id: letter.order_id(),
            reason,
        }
    }
}

/// The failures of a redrive or a purge, as a table; nothing if none.
pub fn write_failures(out: &mut dyn Write, failures: &[LetterFailure]) -> std::io::Result<()> {
    if failures.is_empty() {
        return Ok(());
    }
    let rows = failures.iter().map(|f| {
        let order = or_dash(f.order_id);
        vec![f.message_id.clone(), order, f.reason.clone()]
    });
    table(out, &["FAILED MESSAGE", "ORDER ID", "WHY"], rows)
}

/// A DLQ message found for an order (`orderctl order`), and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeadLetterHit {
    pub workflow: Workflow,
    pub queue: String,
    pub message: LetterView,
}

#[cfg(test)]
mod tests {
    use crate::queues::in_memory::dead_letter as letter;

    use super::*;

    #[test]
    fn a_message_without_a_failure_note_says_sqs_moved_it() {
        let mut moved = letter("{}");
        moved.attributes.clear();
        let view = LetterView::of(&moved);
        assert!(view.moved_by_sqs);
        assert_eq!(view.reason(), "moved by SQS after 5 receives");
        let noted = LetterView::of(&letter("{}"));
        assert!(!noted.moved_by_sqs);
        assert_eq!(noted.reason(), "MessageRejected");
    }

    #[test]
    fn a_body_that_is_no_order_is_previewed() {
        let view = LetterView::of(&letter("this is not an order"));
        assert_eq!(view.body_preview.as_deref(), Some("this is not an order"));
        assert_eq!(view.failure_reason.as_deref(), Some("MessageRejected"));
    }
}
