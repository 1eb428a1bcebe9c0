//! An order's way through the fleet, step by step, with when each happened:
//! stored, published, emailed, audited — or dead-lettered. Read from where
//! each step leaves its mark: the order (`CreatedAt`, `PublishedAt`), the
//! email's idempotency record (`CompletedAt`, SES's message id), the audit
//! trail (`recordedAt`) and the DLQs (`FailedAt`).

use std::io::Write;

use domain::iso8601;
use ports::{KeyRecord, OrderRecord};
use serde::Serialize;

use crate::audit::AuditRow;
use crate::dlq::DeadLetterHit;
use crate::output::{clip, or_dash, Table};
use crate::target::Workflow;

/// One step: what, when (ISO 8601, if known), and what it left behind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    pub step: &'static str,
    /// `done`, `pending` or `failed`.
    pub state: &'static str,
    pub at: Option<String>,
    pub detail: String,
}

fn step(step: &'static str, state: &'static str, at: Option<String>, detail: String) -> Step {
    Step {
        step,
        state,
        at,
        detail,
    }
}

/// The order's steps, in the order they happen.
pub fn timeline(
    record: &OrderRecord,
    email: Option<&KeyRecord>,
    trail: &[AuditRow],
    dead_letters: &[DeadLetterHit],
) -> Vec<Step> {
    let in_dlq = |workflow: Workflow| dead_letters.iter().any(|hit| hit.workflow == workflow);
    let mut steps = vec![step(
        "stored",
        "done",
        Some(iso8601::format(&record.order.created_at)),
        format!("event {}", record.event_id),
    )];
    steps.push(if record.published {
        step(
            "published",
            "done",
            record.published_at.as_ref().map(iso8601::format),
            "SNS accepted the event".to_owned(),
        )
    } else {
        step(
            "published",
            "pending",
            None,
            "not yet: the outbox relay publishes it within a minute (`orderctl republish` by hand)"
                .to_owned(),
        )
    });
    steps.push(
        match email.and_then(|e| e.result.as_ref().map(|r| (e, r))) {
            Some((record, ses_id)) => step(
                "emailed",
                "done",
                record.completed_at.as_ref().map(iso8601::format),
                format!("SES message {ses_id}"),
            ),
            None if in_dlq(Workflow::Email) => step(
                "emailed",
                "failed",
                None,
                "no: its message is in the email DLQ (below)".to_owned(),
            ),
            None => step("emailed", "pending", None, "not yet".to_owned()),
        },
    );
    steps.push(match trail.first() {
        Some(first) => step(
            "audited",
            "done",
            Some(first.recorded_at.clone()),
            format!("{} audit record(s)", trail.len()),
        ),
        None if in_dlq(Workflow::Audit) => step(
            "audited",
            "failed",
            None,
            "no: its message is in the audit DLQ (below)".to_owned(),
        ),
        None => step("audited", "pending", None, "not yet".to_owned()),
    });
    for hit in dead_letters {
        let message = &hit.message;
        steps.push(step(
            "dead-lettered",
            "failed",
            message
                .failed_at
                .clone()
                .or_else(|| message.sent_at.clone()),
            format!("{}: {}", hit.queue, message.reason()),
        ));
    }
    steps
}

pub fn write_timeline(steps: &[Step], out: &mut dyn Write) -> std::io::Result<()> {
    let mut table = Table::new(&["STEP", "STATE", "AT", "DETAIL"]);
    for step in steps {
        table.row(vec![
            step.step.to_owned(),
            step.state.to_owned(),
            or_dash(step.at.as_deref().map(|t| t.replacen('T', " ", 1))),
            clip(&step.detail, 90),
        ]);
    }
    table.write(out)
}
