//! "What needs attention first": the numbers turned into a short list by the
//! rules of `status --help`, the most urgent first, then in the screen's order.

use serde::Serialize;

use super::cloudwatch::Alarms;
use super::outbox::Backlog;
use super::queues::{QueueKind, QueueStatus};
use crate::output::{age, age_at_least, time};

/// Seconds an order may wait for its event before it needs an operator: the
/// relay publishes within a minute, so a longer wait means it cannot.
pub const OUTBOX_AGE_LIMIT: i64 = 5 * 60;
/// Seconds a work queue's oldest message may wait: the template's queue-age alarms'.
pub const QUEUE_AGE_LIMIT: i64 = 15 * 60;
/// Visible messages in a work queue that make a backlog worth a look.
pub const QUEUE_DEPTH_LIMIT: u64 = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    DeadLetters,
    Alarm,
    OutboxBacklog,
    QueueAge,
    QueueDepth,
}

/// One line of "what needs attention first".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Concern {
    pub rule: Rule,
    /// What it is about: a queue, an alarm, the orders table.
    pub subject: String,
    pub problem: String,
    pub next_step: String,
}

pub fn attention(
    environment: &str,
    queues: &[QueueStatus],
    outbox: &Backlog,
    alarms: &Alarms,
) -> Vec<Concern> {
    let orderctl = |args: String| match environment {
        "local" => format!("`orderctl {args}`"),
        env => format!("`orderctl --env {env} {args}`"),
    };
    let mut concerns = Vec::new();
    let mut raise = |rule, subject: &str, problem, next_step| {
        concerns.push(Concern {
            rule,
            subject: subject.to_owned(),
            problem,
            next_step,
        })
    };
    let dead_letters = queues.iter().filter(|q| q.kind == QueueKind::Dlq);
    for dlq in dead_letters.filter(|q| q.counts.total() > 0) {
        let (n, label) = (dlq.counts.total(), dlq.label());
        let oldest = dlq.oldest_age_seconds;
        let oldest = oldest.map(|s| format!(", the oldest {}", age_at_least(s, dlq.age_at_least)));
        let oldest = oldest.unwrap_or_default();
        let problem = format!("{n} message(s) in the {label}{oldest}");
        let workflow = dlq.workflow.name();
        let peek = orderctl(format!("dlq peek {workflow}"));
        let redrive = orderctl(format!("dlq redrive {workflow}"));
        let next = format!(
            "{peek} shows each one's order and failure reason; fix the cause, then {redrive}"
        );
        raise(Rule::DeadLetters, &dlq.queue, problem, next);
    }
    for alarm in &alarms.in_alarm {
        let since = alarm.since.as_ref();
        let since = since.map(|at| format!(" since {}", time(at)));
        let reason = alarm.reason.as_deref().map(|r| format!(": {r}"));
        let (since, reason) = (since.unwrap_or_default(), reason.unwrap_or_default());
        let problem = format!("in ALARM{since}{reason}");
        let readme = "infra/README.md, \"Reading the alarms\", says what to do";
        let next = alarm.description.clone().unwrap_or_else(|| readme.into());
        raise(Rule::Alarm, &alarm.name, problem, next);
    }
    if let Some(waited) = outbox.oldest_age_seconds.filter(|s| *s > OUTBOX_AGE_LIMIT) {
        let order = outbox.oldest_order_id.as_deref().unwrap_or("?");
        let legacy = match outbox.legacy_key {
            0 => String::new(),
            n => format!(
                "; {n} of them under the unsharded key PENDING of orders stored before the \
                 index was sharded, which the relay reads after the shards"
            ),
        };
        let (n, waited) = (outbox.unpublished, age(waited));
        let problem = format!(
            "{n} order(s) unpublished, the oldest waiting {waited} (order {order}); \
             the relay publishes within a minute"
        );
        let list = orderctl("republish --all-unpublished --dry-run".into());
        let next =
            format!("the outbox relay's log says why it cannot publish; {list} lists them{legacy}");
        raise(Rule::OutboxBacklog, &outbox.table, problem, next);
    }
    let work = || queues.iter().filter(|q| q.kind == QueueKind::Work);
    let worker_step = |queue: &QueueStatus| {
        let worker = queue.workflow.name();
        format!("is the {worker} worker running and keeping up? Its log, its errors and throttles")
    };
    for queue in work() {
        if let Some(waited) = queue.oldest_age_seconds.filter(|s| *s > QUEUE_AGE_LIMIT) {
            let (label, waited) = (queue.label(), age(waited));
            let problem = format!("the oldest message of the {label} has waited {waited}");
            raise(Rule::QueueAge, &queue.queue, problem, worker_step(queue));
        }
    }
    for queue in work().filter(|q| q.counts.visible >= QUEUE_DEPTH_LIMIT) {
        let (n, label) = (queue.counts.visible, queue.label());
        let problem = format!("{n} messages waiting in the {label}");
        raise(Rule::QueueDepth, &queue.queue, problem, worker_step(queue));
    }
    concerns
}

#[cfg(test)]
pub(crate) mod tests {
    use crate::queues::QueueDepth;

    use super::*;
    use crate::status::cloudwatch::Alarm;
    use crate::target::Workflow;

    fn queue(workflow: Workflow, kind: QueueKind, visible: u64) -> QueueStatus {
        let name = match workflow {
            Workflow::Email => "t-OrderEmail",
            Workflow::Audit => "t-OrderAudit",
            Workflow::Delivery => "t-OrderEventsDelivery",
        };
        let suffix = match kind {
            QueueKind::Work => "Queue",
            QueueKind::Dlq => "DLQ",
        };
        QueueStatus {
            queue: format!("{name}{suffix}"),
            workflow,
            kind,
            counts: QueueDepth {
                visible,
                in_flight: 0,
                delayed: 0,
            },
            oldest_age_seconds: (visible > 0).then_some(60),
            age_at_least: false,
            age_from: String::new(),
        }
    }

    pub(crate) fn healthy_queues() -> Vec<QueueStatus> {
        vec![
            queue(Workflow::Email, QueueKind::Work, 0),
            queue(Workflow::Email, QueueKind::Dlq, 0),
            queue(Workflow::Audit, QueueKind::Work, 0),
            queue(Workflow::Audit, QueueKind::Dlq, 0),
            queue(Workflow::Delivery, QueueKind::Dlq, 0),
        ]
    }

    pub(crate) fn empty_outbox() -> Backlog {
        Backlog {
            table: "t-Orders".into(),
            unpublished: 0,
            legacy_key: 0,
            oldest_order_id: None,
            oldest_created_at: None,
            oldest_age_seconds: None,
        }
    }

    pub(crate) fn no_alarms() -> Alarms {
        Alarms {
            name_prefix: "t-".into(),
            available: true,
            unavailable: None,
            in_alarm: Vec::new(),
        }
    }

    fn rules(concerns: &[Concern]) -> Vec<(Rule, &str)> {
        concerns
            .iter()
            .map(|c| (c.rule, c.subject.as_str()))
            .collect()
    }

    #[test]
    fn nothing_needs_attention_in_a_quiet_pipeline() {
        let concerns = attention("t", &healthy_queues(), &empty_outbox(), &no_alarms());
        assert_eq!(concerns, []);
    }

    #[test]
    fn dead_letters_come_first_then_alarms_then_the_outbox_then_the_work_queues() {
        let mut queues = healthy_queues();
        queues[0].counts.visible = 1_500; // email queue: deep
        queues[2].counts.visible = 3; // audit queue: old
        queues[2].oldest_age_seconds = Some(QUEUE_AGE_LIMIT + 1);
        queues[3].counts.visible = 2; // audit DLQ
        queues[3].oldest_age_seconds = Some(60);
        queues[4].counts.in_flight = 1; // delivery DLQ: a message being peeked
        let outbox = Backlog {
            unpublished: 4,
            legacy_key: 1,
            oldest_order_id: Some("4f0c8f2e-8d1b-4c53-9d55-3f7c1c7e1a10".into()),
            oldest_age_seconds: Some(OUTBOX_AGE_LIMIT + 60),
            ..empty_outbox()
        };
        let alarms = Alarms {
            in_alarm: vec![Alarm {
                name: "t-Outbox-backlog-age".into(),
                description: Some("See the relay's log.".into()),
                reason: Some("Threshold Crossed".into()),
                since: chrono::DateTime::from_timestamp(1_767_323_045, 0),
            }],
            ..no_alarms()
        };

        let concerns = attention("t", &queues, &outbox, &alarms);

        assert_eq!(
            rules(&concerns),
            [
                (Rule::DeadLetters, "t-OrderAuditDLQ"),
                (Rule::DeadLetters, "t-OrderEventsDeliveryDLQ"),
                (Rule::Alarm, "t-Outbox-backlog-age"),
                (Rule::OutboxBacklog, "t-Orders"),
                (Rule::QueueAge, "t-OrderAuditQueue"),
                (Rule::QueueDepth, "t-OrderEmailQueue"),
            ]
        );
        assert_eq!(
            concerns[0].problem,
            "2 message(s) in the audit DLQ, the oldest 1m 00s"
        );
        assert_eq!(
            concerns[0].next_step,
            "`orderctl --env t dlq peek audit` shows each one's order and failure reason; \
             fix the cause, then `orderctl --env t dlq redrive audit`"
        );
        assert_eq!(concerns[1].problem, "1 message(s) in the delivery DLQ");
        assert_eq!(
            concerns[2].problem,
            "in ALARM since 2026-01-02 03:04:05Z: Threshold Crossed"
        );
        assert_eq!(concerns[2].next_step, "See the relay's log.");
        assert!(concerns[3]
            .problem
            .starts_with("4 order(s) unpublished, the oldest waiting 6m 00s (order 4f0c8f2e-"));
        assert!(
            concerns[3]
                .next_step
                .contains("1 of them under the unsharded key PENDING"),
            "{}",
            concerns[3].next_step
        );
        assert_eq!(
            concerns[5].problem,
            "1500 messages waiting in the email queue"
        );
    }

    #[test]
    fn a_young_backlog_and_a_young_queue_are_left_to_the_relay_and_the_workers() {
        let mut queues = healthy_queues();
        queues[0].counts.visible = QUEUE_DEPTH_LIMIT - 1;
        queues[0].oldest_age_seconds = Some(QUEUE_AGE_LIMIT);
        let outbox = Backlog {
            unpublished: 3,
            oldest_age_seconds: Some(OUTBOX_AGE_LIMIT),
            ..empty_outbox()
        };
        assert_eq!(attention("t", &queues, &outbox, &no_alarms()), []);
    }

    #[test]
    fn local_commands_need_no_env_and_a_partial_peek_says_at_least() {
        let mut queues = healthy_queues();
        queues[1].counts.visible = 250;
        queues[1].oldest_age_seconds = Some(3600);
        queues[1].age_at_least = true;
        let concerns = attention("local", &queues, &empty_outbox(), &no_alarms());
        assert_eq!(
            concerns[0].problem,
            "250 message(s) in the email DLQ, the oldest ≥ 1h 00m"
        );
        assert!(concerns[0]
            .next_step
            .starts_with("`orderctl dlq peek email`"));
    }
}
