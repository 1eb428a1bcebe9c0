//! The soak's figures: printed as a table, written as JSON
//! (`target/soak/report.json`), and checked against the design's promise.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use fleet_tests::fault_proxy::OperationCounts;
use serde::Serialize;

use super::census::DeadLetter;

/// Duplicate emails a killed email-worker may explain: the batch it held
/// (the poller's 10 records) may have been sent and not yet remembered.
pub const EMAILS_PER_KILLED_WORKER: usize = 10;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub run: Run,
    pub timing: Timing,
    pub figures: Figures,
    /// Orders the app gave up on, with how each attempt ended.
    pub refused: Vec<Refusal>,
    /// Accepted orders missing something at the deadline.
    pub lost: Vec<LostOrder>,
    pub dead_letters: Vec<DeadLetter>,
    pub proxy: Proxy,
}

/// What was run: enough to replay it (`SOAK_SEED`, `SOAK_ORDERS`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Run {
    pub scenario: String,
    pub seed: u64,
    pub orders: usize,
    pub clients: usize,
    pub failure_rate: f64,
    pub visibility_timeout_seconds: u32,
    pub worker_timeout_seconds: u32,
    pub fleet: Vec<String>,
    /// Whether `outbox-relay` was built and ran.
    pub relay: bool,
    pub killed: Vec<String>,
    /// Orders the app had finished posting when the workers were killed.
    pub killed_after_orders: usize,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Timing {
    /// moto, stack, proxy and processes up.
    pub startup_seconds: f64,
    pub posting_seconds: f64,
    /// From the last post until everything settled, or the deadline.
    pub settling_seconds: f64,
    /// From the first post until everything settled.
    pub run_seconds: f64,
    /// Accepted orders per second of the run.
    pub orders_per_second: f64,
    pub settling: Settling,
}

/// How the wait for the fleet to finish every order ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Settling {
    /// Every accepted order finished, and the queues are empty.
    Done,
    /// Orders unfinished, and nothing left that could finish them.
    Stuck,
    /// Orders unfinished, or queues not empty, at the deadline.
    Deadline,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Figures {
    pub posted: usize,
    pub accepted: usize,
    pub refused: usize,
    pub attempts: usize,
    /// Orders that needed a second or third attempt.
    pub retried: usize,
    /// Keys whose replay after the run answered another order id.
    pub keys_with_two_order_ids: usize,
    /// Replays after the run that the app gave up on (not asserted).
    pub replays_refused: usize,
    pub stored: usize,
    pub created_twice: usize,
    /// Refused orders that were stored all the same.
    pub refused_but_stored: usize,
    pub lost: usize,
    pub duplicate_audit_rows: usize,
    pub unpublished: usize,
    pub dead_letters: usize,
    pub transient_dead_lettered: usize,
    pub permanent_dead_lettered: usize,
    pub moved_by_sqs: usize,
    pub duplicate_emails: usize,
    pub dropped_send_email_replies: u64,
    pub email_workers_killed: usize,
    /// Fleet processes (other than the killed ones) that exited on their own.
    pub processes_died: Vec<String>,
    /// Every `POST /order` attempt's latency.
    pub post_p50_ms: u64,
    pub post_p95_ms: u64,
    pub post_max_ms: u64,
    /// The scenario's promise on the p95, if it makes one.
    pub post_p95_limit_ms: Option<u64>,
    /// The backlog an SNS outage left, and how it drained.
    pub drain: Option<Drain>,
}

/// How the relay drained the backlog an outage left once SNS was back.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Drain {
    /// Orders unpublished when SNS came back.
    pub backlog: usize,
    /// From SNS's return until no order was unpublished (`None`: never).
    pub seconds: Option<f64>,
    pub limit_seconds: f64,
    pub orders_per_second: f64,
    /// moto's own rate for the relay's calls in this run, with nothing else to do.
    pub ceiling_per_second: f64,
}

impl Drain {
    /// The drain's rate against moto's ceiling.
    pub fn ratio(&self) -> f64 {
        self.orders_per_second / self.ceiling_per_second.max(f64::EPSILON)
    }
}

impl Figures {
    /// Duplicates the faults can explain: a `SendEmail` whose reply was lost
    /// (dropped, or its caller gave up first), or a batch in a killed worker's hands.
    pub fn duplicate_emails_allowed(&self) -> u64 {
        self.dropped_send_email_replies
            + (EMAILS_PER_KILLED_WORKER * self.email_workers_killed) as u64
    }

    /// Orders an operator must act on: unpublished, or in a DLQ.
    pub fn need_an_operator(&self) -> usize {
        self.unpublished + self.dead_letters
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Refusal {
    pub idempotency_key: String,
    /// How each attempt ended, in order.
    pub attempts: Vec<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LostOrder {
    pub order_id: String,
    pub missing: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Proxy {
    pub total: OperationCounts,
    pub by_operation: BTreeMap<String, OperationCounts>,
}

/// Lists in the printed table stop here; the JSON has them all.
const LISTED: usize = 15;

/// One line of the table: a figure, its target, and whether it is met
/// (`None` for a figure shown but not asserted).
struct Line {
    name: &'static str,
    value: String,
    target: String,
    ok: Option<bool>,
}

/// A figure with a target and its verdict.
fn check(name: &'static str, value: impl ToString, target: &str, ok: bool) -> Line {
    Line {
        name,
        value: value.to_string(),
        target: target.to_owned(),
        ok: Some(ok),
    }
}

/// A figure that must be 0.
fn zero(name: &'static str, count: usize) -> Line {
    check(name, count, "0", count == 0)
}

/// A figure shown to explain the others, not asserted.
fn shown(name: &'static str, value: impl ToString) -> Line {
    Line {
        name,
        value: value.to_string(),
        target: String::new(),
        ok: None,
    }
}

impl Report {
    /// The figures, each promise once: the table shows them, the test
    /// asserts the ones with a verdict.
    fn lines(&self) -> Vec<Line> {
        let f = &self.figures;
        let accepted = format!("{}/{}", f.accepted, f.posted);
        let allowed = f.duplicate_emails_allowed();
        let explained = f.duplicate_emails as u64 <= allowed;
        let dropped = format!(
            "{}/{}",
            f.dropped_send_email_replies, f.email_workers_killed
        );
        let died = f.processes_died.join(", ");
        let mut lines = vec![
            check(
                "valid orders accepted within the app's 3 attempts",
                accepted,
                "all",
                f.refused == 0,
            ),
            shown(
                "  attempts in all / orders retried",
                format!("{}/{}", f.attempts, f.retried),
            ),
            zero(
                "idempotency keys that answered two order ids",
                f.keys_with_two_order_ids,
            ),
            shown(
                "  replays after the run the app gave up on",
                f.replays_refused,
            ),
            check(
                "orders stored (= accepted)",
                f.stored,
                &f.accepted.to_string(),
                f.stored == f.accepted,
            ),
            zero("  orders created twice", f.created_twice),
            shown("  refused orders stored all the same", f.refused_but_stored),
            zero(
                "lost (accepted; not stored, published, audited, emailed)",
                f.lost,
            ),
            zero("duplicate audit rows", f.duplicate_audit_rows),
            zero("orders needing an operator", f.need_an_operator()),
            shown("  unpublished orders", f.unpublished),
            shown("  messages in DLQs", f.dead_letters),
            zero(
                "transient failures dead-lettered by a worker",
                f.transient_dead_lettered,
            ),
            shown(
                "  permanent failures dead-lettered by a worker",
                f.permanent_dead_lettered,
            ),
            shown("  moved by SQS (no FailureReason)", f.moved_by_sqs),
            check(
                "duplicate emails (≤ lost SendEmail replies + 10 × killed)",
                f.duplicate_emails,
                &format!("≤ {allowed}"),
                explained,
            ),
            shown("  lost SendEmail replies / email-workers killed", dropped),
            check(
                "fleet processes that died on their own",
                died,
                "none",
                f.processes_died.is_empty(),
            ),
        ];
        lines.push(match f.post_p95_limit_ms {
            Some(limit) => check(
                "POST /order p95, every attempt (ms)",
                f.post_p95_ms,
                &format!("≤ {limit}"),
                f.post_p95_ms <= limit,
            ),
            None => shown("POST /order p95, every attempt (ms)", f.post_p95_ms),
        });
        lines.push(shown(
            "  p50 / max (ms)",
            format!("{}/{}", f.post_p50_ms, f.post_max_ms),
        ));
        if let Some(drain) = &f.drain {
            lines.push(check(
                "backlog drained after SNS returned (s)",
                drain
                    .seconds
                    .map_or_else(|| "never".to_owned(), |s| format!("{s:.1}")),
                &format!("≤ {:.0}", drain.limit_seconds),
                drain.seconds.is_some_and(|s| s <= drain.limit_seconds),
            ));
            lines.push(shown(
                "  orders left unpublished by the outage",
                drain.backlog,
            ));
            lines.push(shown(
                "  drain / moto's ceiling for the relay's calls (orders/s)",
                format!(
                    "{:.1}/{:.1} = {:.2}×",
                    drain.orders_per_second,
                    drain.ceiling_per_second,
                    drain.ratio()
                ),
            ));
        }
        lines
    }

    /// Each broken promise, in words; empty when the fleet kept them all.
    pub fn failures(&self) -> Vec<String> {
        self.lines()
            .into_iter()
            .filter(|l| l.ok == Some(false))
            .map(|l| format!("{}: {} (target {})", l.name.trim(), l.value, l.target))
            .collect()
    }

    /// The table `make soak` prints.
    pub fn render(&self) -> String {
        let (r, t) = (&self.run, &self.timing);
        let mut out = String::new();
        let _ =
            writeln!(
            out,
            "\nsoak — {}: {} orders from {} clients, seed {} (SOAK_SEED), {:.0}% of AWS calls failing \
             (half 503 before moto, half reply dropped after)",
            r.scenario, r.orders, r.clients, r.seed, r.failure_rate * 100.0
        );
        let relay = if r.relay {
            ""
        } else {
            "; outbox-relay NOT BUILT, not running"
        };
        let _ = writeln!(
            out,
            "fleet: {}{relay}; SIGKILLed {} after {} orders; visibility {} s, worker timeout {} s",
            r.fleet.join(", "),
            r.killed.join(" and "),
            r.killed_after_orders,
            r.visibility_timeout_seconds,
            r.worker_timeout_seconds
        );
        let _ = writeln!(out, "\n  {:<58} {:>10} {:>8}", "figure", "value", "target");
        for l in self.lines() {
            let mark = match l.ok {
                Some(true) => "ok",
                Some(false) => "FAIL",
                None => "",
            };
            let _ = writeln!(
                out,
                "  {:<58} {:>10} {:>8}  {mark}",
                l.name, l.value, l.target
            );
        }

        let p = &self.proxy.total;
        let _ = writeln!(
            out,
            "\n  AWS calls through the proxy: {} ({} forwarded, {} answered 503, {} replies dropped, \
             {} abandoned by their caller, {} throttled, {} in an outage, {} hung, {} delayed, \
             {} moto unreachable)",
            p.total(), p.forwarded, p.failed_before, p.dropped_after, p.abandoned, p.throttled,
            p.outage, p.hung, p.delayed, p.upstream_errors
        );
        let _ = writeln!(
            out,
            "  {:<34} {:>8} {:>10} {:>6} {:>8} {:>10} {:>9} {:>7} {:>5} {:>8}",
            "operation",
            "calls",
            "forwarded",
            "503",
            "dropped",
            "abandoned",
            "throttled",
            "outage",
            "hung",
            "delayed"
        );
        for (operation, c) in &self.proxy.by_operation {
            let _ = writeln!(
                out,
                "  {operation:<34} {:>8} {:>10} {:>6} {:>8} {:>10} {:>9} {:>7} {:>5} {:>8}",
                c.total(),
                c.forwarded,
                c.failed_before,
                c.dropped_after,
                c.abandoned,
                c.throttled,
                c.outage,
                c.hung,
                c.delayed
            );
        }
        let _ = writeln!(
            out,
            "\n  startup {:.1} s, posting {:.1} s, settling {:.1} s{}; run {:.1} s, {:.2} orders/s",
            t.startup_seconds,
            t.posting_seconds,
            t.settling_seconds,
            match t.settling {
                Settling::Done => "",
                Settling::Stuck => " (STUCK: orders unfinished, nothing left to finish them)",
                Settling::Deadline => " (DEADLINE PASSED)",
            },
            t.run_seconds,
            t.orders_per_second
        );
        list(
            &mut out,
            "refused",
            self.refused
                .iter()
                .map(|r| format!("{}: {}", r.idempotency_key, r.attempts.join(" → "))),
        );
        list(
            &mut out,
            "lost",
            self.lost
                .iter()
                .map(|l| format!("{}: {}", l.order_id, l.missing)),
        );
        list(
            &mut out,
            "in DLQs",
            self.dead_letters.iter().map(|d| {
                format!(
                    "{} order {}: {} {}",
                    d.queue,
                    d.order_id.as_deref().unwrap_or("?"),
                    d.kind.as_deref().unwrap_or("moved by SQS"),
                    d.reason.as_deref().unwrap_or_default()
                )
            }),
        );
        out
    }

    /// Writes the JSON report; says where, or why not.
    pub fn write(&self, path: &Path) -> Result<(), String> {
        let json = serde_json::to_string_pretty(self).map_err(|e| e.to_string())?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        std::fs::write(path, json).map_err(|e| format!("{}: {e}", path.display()))
    }
}

fn list(out: &mut String, title: &str, lines: impl ExactSizeIterator<Item = String>) {
    let count = lines.len();
    if count == 0 {
        return;
    }
    let _ = writeln!(out, "\n  {title} ({count}):");
    for line in lines.take(LISTED) {
        let _ = writeln!(out, "    {line}");
    }
    if count > LISTED {
        let _ = writeln!(out, "    … {} more in report.json", count - LISTED);
    }
}
