//! The status screen: every number and "what needs attention first", as a table or as JSON.

use std::io::Write;

use chrono::{DateTime, Utc};
use domain::iso8601;
use serde::Serialize;

use super::attention::{attention, Concern};
use super::cloudwatch::Alarms;
use super::outbox::Backlog;
use super::queues::{QueueKind, QueueStatus};
use crate::output::{age, age_at_least, clip, or_dash, table, time, Report};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusReport {
    pub environment: String,
    pub endpoint: String,
    #[serde(with = "iso8601")]
    pub read_at: DateTime<Utc>,
    pub healthy: bool,
    /// The most urgent first; empty when healthy.
    pub attention: Vec<Concern>,
    pub queues: Vec<QueueStatus>,
    pub outbox: Backlog,
    pub alarms: Alarms,
}

impl StatusReport {
    pub fn new(
        environment: &str,
        endpoint: &str,
        read_at: DateTime<Utc>,
        queues: Vec<QueueStatus>,
        outbox: Backlog,
        alarms: Alarms,
    ) -> StatusReport {
        let attention = attention(environment, &queues, &outbox, &alarms);
        StatusReport {
            environment: environment.to_owned(),
            endpoint: endpoint.to_owned(),
            read_at,
            healthy: attention.is_empty(),
            attention,
            queues,
            outbox,
            alarms,
        }
    }

    fn write_queues(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let rows = self.queues.iter().map(|queue| {
            let oldest = queue.oldest_age_seconds;
            let oldest = oldest.map(|s| age_at_least(s, queue.age_at_least));
            vec![
                queue.queue.clone(),
                queue.label(),
                queue.counts.visible.to_string(),
                queue.counts.in_flight.to_string(),
                queue.counts.delayed.to_string(),
                or_dash(oldest),
            ]
        });
        let headers = ["QUEUE", "WHAT", "VISIBLE", "IN FLIGHT", "DELAYED", "OLDEST"];
        table(out, &headers, rows)?;
        let unknown = self.queues.iter().any(|q| {
            q.kind == QueueKind::Work && q.counts.total() > 0 && q.oldest_age_seconds.is_none()
        });
        if unknown {
            writeln!(
                out,
                "(a work queue is never peeked: its OLDEST is CloudWatch's \
                 ApproximateAgeOfOldestMessage, `-` where there is none)"
            )?;
        }
        Ok(())
    }

    fn write_outbox(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let outbox = &self.outbox;
        if outbox.unpublished == 0 {
            return writeln!(out, "outbox   no unpublished order");
        }
        let oldest = match (outbox.oldest_age_seconds, &outbox.oldest_order_id) {
            (Some(waited), Some(order)) => format!(
                ", the oldest waiting {} (order {order}, created {})",
                age(waited),
                or_dash(outbox.oldest_created_at.as_ref().map(time))
            ),
            _ => String::new(),
        };
        let legacy = match outbox.legacy_key {
            0 => String::new(),
            n => format!("; {n} under the unsharded key PENDING"),
        };
        let n = outbox.unpublished;
        writeln!(out, "outbox   {n} unpublished order(s){oldest}{legacy}")
    }

    fn write_alarms(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let alarms = &self.alarms;
        let named = format!("(named {}…)", alarms.name_prefix);
        if let Some(reason) = &alarms.unavailable {
            return writeln!(out, "alarms   not read: {}", clip(reason, 160));
        }
        if alarms.in_alarm.is_empty() {
            return writeln!(out, "alarms   none in ALARM {named}");
        }
        writeln!(out, "alarms   {} in ALARM {named}", alarms.in_alarm.len())?;
        let rows = alarms.in_alarm.iter().map(|alarm| {
            vec![
                alarm.name.clone(),
                or_dash(alarm.since.as_ref().map(time)),
                clip(alarm.reason.as_deref().unwrap_or("-"), 80),
            ]
        });
        table(out, &["ALARM", "SINCE", "REASON"], rows)
    }

    fn write_attention(&self, out: &mut dyn Write) -> std::io::Result<()> {
        if self.attention.is_empty() {
            return writeln!(out, "needs attention: nothing: the pipeline is healthy");
        }
        writeln!(out, "needs attention first")?;
        for (i, concern) in self.attention.iter().enumerate() {
            let (subject, problem) = (&concern.subject, &concern.problem);
            writeln!(out, "{:>2}. {subject}: {problem}", i + 1)?;
            writeln!(out, "    → {}", concern.next_step)?;
        }
        Ok(())
    }
}

impl Report for StatusReport {
    fn write_text(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let (env, endpoint, read) = (&self.environment, &self.endpoint, time(&self.read_at));
        writeln!(out, "environment {env} at {endpoint}, read {read}\n")?;
        self.write_queues(out)?;
        writeln!(out)?;
        self.write_outbox(out)?;
        self.write_alarms(out)?;
        writeln!(out)?;
        self.write_attention(out)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::status::attention::tests::{empty_outbox, healthy_queues, no_alarms};
    use crate::status::cloudwatch::Alarm;

    fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 2, h, m, s)
            .single()
            .expect("a time")
    }

    fn text(report: &StatusReport) -> String {
        let mut out = Vec::new();
        report.write_text(&mut out).expect("written");
        String::from_utf8(out).expect("utf-8")
    }

    fn troubled() -> StatusReport {
        let mut queues = healthy_queues();
        queues[0].counts.visible = 1;
        queues[0].oldest_age_seconds = None;
        queues[1].counts.visible = 1;
        queues[1].oldest_age_seconds = Some(75);
        let outbox = Backlog {
            unpublished: 2,
            legacy_key: 1,
            oldest_order_id: Some("4f0c8f2e-8d1b-4c53-9d55-3f7c1c7e1a10".into()),
            oldest_created_at: Some(at(2, 54, 0)),
            oldest_age_seconds: Some(600),
            ..empty_outbox()
        };
        let alarms = Alarms {
            in_alarm: vec![Alarm {
                name: "t-OrderEmailDLQ-not-empty".into(),
                description: Some("Run `orderctl dlq peek email`.".into()),
                reason: Some("Threshold Crossed".into()),
                since: Some(at(3, 0, 0)),
            }],
            ..no_alarms()
        };
        StatusReport::new(
            "t",
            "http://127.0.0.1:4566",
            at(3, 4, 0),
            queues,
            outbox,
            alarms,
        )
    }

    #[test]
    fn a_healthy_pipeline_reads_as_such() {
        let report = StatusReport::new(
            "t",
            "http://127.0.0.1:4566",
            at(3, 4, 0),
            healthy_queues(),
            empty_outbox(),
            no_alarms(),
        );
        assert!(report.healthy);
        assert_eq!(
            text(&report),
            "\
environment t at http://127.0.0.1:4566, read 2026-01-02 03:04:00Z

QUEUE                     WHAT          VISIBLE  IN FLIGHT  DELAYED  OLDEST
t-OrderEmailQueue         email queue   0        0          0        -
t-OrderEmailDLQ           email DLQ     0        0          0        -
t-OrderAuditQueue         audit queue   0        0          0        -
t-OrderAuditDLQ           audit DLQ     0        0          0        -
t-OrderEventsDeliveryDLQ  delivery DLQ  0        0          0        -

outbox   no unpublished order
alarms   none in ALARM (named t-…)

needs attention: nothing: the pipeline is healthy
"
        );
    }

    #[test]
    fn the_table_shows_every_number_and_what_to_do_first() {
        let report = troubled();
        assert!(!report.healthy);
        assert_eq!(
            text(&report),
            "\
environment t at http://127.0.0.1:4566, read 2026-01-02 03:04:00Z

QUEUE                     WHAT          VISIBLE  IN FLIGHT  DELAYED  OLDEST
t-OrderEmailQueue         email queue   1        0          0        -
t-OrderEmailDLQ           email DLQ     1        0          0        1m 15s
t-OrderAuditQueue         audit queue   0        0          0        -
t-OrderAuditDLQ           audit DLQ     0        0          0        -
t-OrderEventsDeliveryDLQ  delivery DLQ  0        0          0        -
(a work queue is never peeked: its OLDEST is CloudWatch's ApproximateAgeOfOldestMessage, `-` where there is none)

outbox   2 unpublished order(s), the oldest waiting 10m 00s (order 4f0c8f2e-8d1b-4c53-9d55-3f7c1c7e1a10, created 2026-01-02 02:54:00Z); 1 under the unsharded key PENDING
alarms   1 in ALARM (named t-…)
ALARM                      SINCE                 REASON
t-OrderEmailDLQ-not-empty  2026-01-02 03:00:00Z  Threshold Crossed

needs attention first
 1. t-OrderEmailDLQ: 1 message(s) in the email DLQ, the oldest 1m 15s
    → `orderctl --env t dlq peek email` shows each one's order and failure reason; fix the cause, then `orderctl --env t dlq redrive email`
 2. t-OrderEmailDLQ-not-empty: in ALARM since 2026-01-02 03:00:00Z: Threshold Crossed
    → Run `orderctl dlq peek email`.
 3. t-Orders: 2 order(s) unpublished, the oldest waiting 10m 00s (order 4f0c8f2e-8d1b-4c53-9d55-3f7c1c7e1a10); the relay publishes within a minute
    → the outbox relay's log says why it cannot publish; `orderctl --env t republish --all-unpublished --dry-run` lists them; 1 of them under the unsharded key PENDING of orders stored before the index was sharded, which the relay reads after the shards
"
        );
    }

    #[test]
    fn alarms_that_cannot_be_read_are_said_so() {
        let mut report = troubled();
        report.alarms = Alarms {
            available: false,
            unavailable: Some("CloudWatch.DescribeAlarms failed: AccessDenied".into()),
            ..no_alarms()
        };
        assert!(text(&report)
            .contains("alarms   not read: CloudWatch.DescribeAlarms failed: AccessDenied\n"));
    }

    #[test]
    fn the_json_document_carries_every_number() {
        let json = serde_json::to_value(troubled()).expect("serializable");
        assert_eq!(json["environment"], "t");
        assert_eq!(json["readAt"], "2026-01-02T03:04:00.000Z");
        assert_eq!(json["healthy"], false);
        assert_eq!(json["attention"][0]["rule"], "dead-letters");
        assert_eq!(json["attention"][0]["subject"], "t-OrderEmailDLQ");
        assert_eq!(json["attention"][1]["rule"], "alarm");
        assert_eq!(json["attention"][2]["rule"], "outbox-backlog");
        let dlq = &json["queues"][1];
        assert_eq!(dlq["queue"], "t-OrderEmailDLQ");
        assert_eq!(dlq["workflow"], "email");
        assert_eq!(dlq["kind"], "dlq");
        assert_eq!(
            (&dlq["visible"], &dlq["inFlight"], &dlq["delayed"]),
            (&1.into(), &0.into(), &0.into())
        );
        assert_eq!(dlq["oldestAgeSeconds"], 75);
        assert_eq!(json["queues"][0]["kind"], "work");
        assert!(json["queues"][0]["oldestAgeSeconds"].is_null());
        let outbox = &json["outbox"];
        assert_eq!(outbox["unpublished"], 2);
        assert_eq!(outbox["legacyKey"], 1);
        assert_eq!(outbox["oldestAgeSeconds"], 600);
        assert_eq!(outbox["oldestCreatedAt"], "2026-01-02T02:54:00.000Z");
        assert_eq!(json["alarms"]["available"], true);
        assert_eq!(json["alarms"]["namePrefix"], "t-");
        assert!(json["alarms"].get("unavailable").is_none());
        assert_eq!(
            json["alarms"]["inAlarm"][0]["name"],
            "t-OrderEmailDLQ-not-empty"
        );
        assert!(json.get("read").is_none() && json["outbox"].get("oldestCreated").is_none());
    }
}
