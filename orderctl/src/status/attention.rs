//! "What needs attention first": the numbers turned into a short list, the
//! most urgent first. The rules, in this order:
//!
//! 1. **dead-letters**: any message in a DLQ (visible, in flight or
//!    delayed), one line per DLQ: an order that no worker will finish until
//!    an operator acts.
//! 2. **alarm**: an alarm of the environment in ALARM, oldest first.
//! 3. **outbox-backlog**: an unpublished order older than
//!    [`OUTBOX_AGE_LIMIT`] (5 minutes). The relay publishes within a minute,
//!    so one that waits longer means it cannot, or is not running.
//! 4. **queue-age**: a work queue whose oldest message is older than
//!    [`QUEUE_AGE_LIMIT`] (15 minutes, the threshold of the template's
//!    queue-age alarms): its worker is not keeping up, or not running.
//! 5. **queue-depth**: a work queue with [`QUEUE_DEPTH_LIMIT`] (1,000) or
//!    more visible messages: a backlog building up.
//!
//! Within a rule, the screen's order. No line at all: the pipeline is healthy.

use serde::Serialize;

use super::cloudwatch::Alarms;
use super::outbox::Backlog;
use super::queues::{QueueKind, QueueStatus};
use crate::output::{age, time};

/// Seconds an order may wait for its event before it needs an operator.
pub const OUTBOX_AGE_LIMIT: i64 = 5 * 60;
/// Seconds a work queue's oldest message may wait.
pub const QUEUE_AGE_LIMIT: i64 = 15 * 60;
/// Visible messages in a work queue that make a backlog worth a look.
pub const QUEUE_DEPTH_LIMIT: u64 = 1_000;

/// Which rule found the concern.
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
    /// What is wrong, in a line.
    pub problem: String,
    /// What to do first.
    pub next_step: String,
}

/// The concerns the numbers raise, the most urgent first.
pub fn attention(
    environment: &str,
    queues: &[QueueStatus],
    outbox: &Backlog,
    alarms: &Alarms,
) -> Vec<Concern> {
    let orderctl = |args: &str| match environment {
        "local" => format!("`orderctl {args}`"),
        env => format!("`orderctl --env {env} {args}`"),
    };
    let mut concerns = Vec::new();
    for dlq in queues.iter().filter(|q| q.kind == QueueKind::Dlq) {
        let n = dlq.counts.total();
        if n == 0 {
            continue;
        }
        let oldest = dlq
            .oldest_age_seconds
            .map(|s| format!(", the oldest {}{}", at_least(dlq), age(s)))
            .unwrap_or_default();
        let workflow = dlq.workflow.name();
        concerns.push(Concern {
            rule: Rule::DeadLetters,
            subject: dlq.queue.clone(),
            problem: format!("{n} message(s) in the {}{oldest}", dlq.label()),
            next_step: format!(
                "{} shows each one's order and failure reason; fix the cause, then {}",
                orderctl(&format!("dlq peek {workflow}")),
                orderctl(&format!("dlq redrive {workflow}"))
            ),
        });
    }
    for alarm in &alarms.in_alarm {
        let since = alarm
            .since_at
            .as_ref()
            .map(|at| format!(" since {}", time(at)))
            .unwrap_or_default();
        let reason = alarm
            .reason
            .as_deref()
            .map(|r| format!(": {r}"))
            .unwrap_or_default();
        concerns.push(Concern {
            rule: Rule::Alarm,
            subject: alarm.name.clone(),
            problem: format!("in ALARM{since}{reason}"),
            next_step: alarm.description.clone().unwrap_or_else(|| {
                "infra/README.md, \"Reading the alarms\", says what to do".to_owned()
            }),
        });
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
        concerns.push(Concern {
            rule: Rule::OutboxBacklog,
            subject: outbox.table.clone(),
            problem: format!(
                "{} order(s) unpublished, the oldest waiting {} (order {order}); \
                 the relay publishes within a minute",
                outbox.unpublished,
                age(waited)
            ),
            next_step: format!(
                "the outbox relay's log says why it cannot publish; {} lists them{legacy}",
                orderctl("republish --all-unpublished --dry-run")
            ),
        });
    }
    let work = || queues.iter().filter(|q| q.kind == QueueKind::Work);
    for queue in work() {
        if let Some(waited) = queue.oldest_age_seconds.filter(|s| *s > QUEUE_AGE_LIMIT) {
            concerns.push(Concern {
                rule: Rule::QueueAge,
                subject: queue.queue.clone(),
                problem: format!(
                    "the oldest message of the {} has waited {}",
                    queue.label(),
                    age(waited)
                ),
                next_step: worker_step(queue),
            });
        }
    }
    for queue in work() {
        if queue.counts.visible >= QUEUE_DEPTH_LIMIT {
            concerns.push(Concern {
                rule: Rule::QueueDepth,
                subject: queue.queue.clone(),
                problem: format!(
                    "{} messages waiting in the {}",
                    queue.counts.visible,
                    queue.label()
                ),
                next_step: worker_step(queue),
            });
        }
    }
    concerns
}

fn worker_step(queue: &QueueStatus) -> String {
    format!(
        "is the {} worker running and keeping up? Its log, its errors and throttles",
        queue.workflow.name()
    )
}

fn at_least(queue: &QueueStatus) -> &'static str {
    if queue.age_at_least {
        "≥ "
    } else {
        ""
    }
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
            oldest_created: None,
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
                since: Some("2026-01-02T03:04:05.000Z".into()),
                since_at: chrono::DateTime::from_timestamp(1_767_323_045, 0),
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
