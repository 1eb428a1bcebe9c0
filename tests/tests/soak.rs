//! The fleet under faults: `make soak` (600 orders), and a short run in `make test`.
//!
//! The real binaries — one order-api, two email-workers, two audit-workers and
//! the outbox relay — reach moto through a [`FaultProxy`] that fails a seeded
//! share of their AWS calls (10%: half answered 503 before moto, half executed
//! and their reply dropped). Eight clients post valid orders by the mobile
//! app's retry policy; a third of the way in, one worker of each kind is
//! SIGKILLed and not restarted. Then the test waits (bounded) until every
//! accepted order is stored, published, audited and emailed, replays every
//! accepted key once, and holds the fleet to the design's promise: 0 refused,
//! 0 lost, 0 created twice, 0 duplicate audit rows, 0 orders needing an
//! operator, 0 transient failures dead-lettered, and no more duplicate emails
//! than the injected faults explain.
//!
//! `SOAK_ORDERS` (default 80), `SOAK_SEED` (printed, to replay a run),
//! `SOAK_FAILURE_RATE` (default 0.1). The report is printed (`--nocapture`
//! shows it) and written to `target/soak/report.json`.

// The report is what `make soak` is for.
#![allow(clippy::print_stdout)]

mod soak_support;

use std::time::{Duration, Instant};

use fleet_tests::fault_proxy::{FaultSettings, OperationCounts};
use fleet_tests::mobile::{Attempt, MobileApp};
use fleet_tests::probes::depth;
use fleet_tests::{FaultProxy, LocalAws, Stack};
use soak_support::census::{dead_letters, Census};
use soak_support::clients::{post_orders, replay, Posted, CLIENTS};
use soak_support::fleet::{Fleet, VISIBILITY_TIMEOUT_SECONDS, WORKER_TIMEOUT_SECONDS};
use soak_support::report::{Figures, LostOrder, Proxy, Refusal, Report, Run, Settling, Timing};

const DEFAULT_ORDERS: usize = 80;
const DEFAULT_SEED: u64 = 20_240_501;
/// How long the fleet has, after the last post, to finish every order. The
/// short run waits less, to stay within `make test`'s budget (3 minutes).
const SETTLE_SHORT: Duration = Duration::from_secs(120);
const SETTLE_FULL: Duration = Duration::from_secs(180);
/// Counting mail makes moto serialize its whole state: not on every poll.
const MAIL_EVERY: Duration = Duration::from_secs(15);

#[derive(Debug)]
struct Settings {
    orders: usize,
    seed: u64,
    failure_rate: f64,
}

impl Settings {
    fn from_env() -> Settings {
        fn var<T: std::str::FromStr>(name: &str, default: T) -> T
        where
            T::Err: std::fmt::Display,
        {
            match std::env::var(name) {
                Ok(value) if !value.trim().is_empty() => value
                    .trim()
                    .parse()
                    .unwrap_or_else(|e| panic!("{name}={value}: {e}")),
                _ => default,
            }
        }
        Settings {
            orders: var("SOAK_ORDERS", DEFAULT_ORDERS),
            seed: var("SOAK_SEED", DEFAULT_SEED),
            failure_rate: var("SOAK_FAILURE_RATE", 0.1),
        }
    }

    fn settle(&self) -> Duration {
        if self.orders > DEFAULT_ORDERS {
            SETTLE_FULL
        } else {
            SETTLE_SHORT
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn valid_orders_are_accepted_once_and_never_lost_while_aws_calls_fail_and_workers_die() {
    let settings = Settings::from_env();
    let began = Instant::now();
    let local = LocalAws::shared();
    let stack = Stack::create_with_visibility(local, VISIBILITY_TIMEOUT_SECONDS).await;
    let proxy = FaultProxy::start(
        local.endpoint(),
        FaultSettings {
            seed: settings.seed,
            failure_rate: settings.failure_rate,
        },
    )
    .await;
    let mut fleet = Fleet::start(&stack, proxy.endpoint());
    let app = MobileApp::new(&fleet.app.address);
    let startup = began.elapsed();

    let first_post = Instant::now();
    let (posted, killed_after) =
        post_orders(&app, &stack, settings.orders, settings.seed, &mut fleet).await;
    let posting = first_post.elapsed();
    let accepted: Vec<&Posted> = posted.iter().filter(|p| p.submission.accepted()).collect();

    let last_post = Instant::now();
    let deadline = last_post + settings.settle();
    let settled = settle(local, &stack, &accepted, fleet.relay.is_some(), deadline).await;
    let settling = last_post.elapsed();
    let run = first_post.elapsed();

    let (two_ids, replays_refused) = replay(&app, settings.seed, &accepted).await;
    let mut census = Census::take(local, &stack).await;
    census.count_mail(local, &stack.env).await;
    let letters = dead_letters(local, &stack).await;

    let lost: Vec<LostOrder> = accepted
        .iter()
        .filter_map(|p| {
            let order_id = p.submission.order_id().unwrap_or_default();
            let progress = census.progress(&p.order.customer_email, order_id);
            (!progress.done()).then(|| LostOrder {
                order_id: order_id.to_owned(),
                missing: progress.missing(),
            })
        })
        .collect();
    let refused: Vec<&Posted> = posted.iter().filter(|p| !p.submission.accepted()).collect();
    let counts = proxy.counts();
    let figures = Figures {
        posted: posted.len(),
        accepted: accepted.len(),
        refused: refused.len(),
        attempts: posted.iter().map(|p| p.submission.attempts.len()).sum(),
        retried: posted
            .iter()
            .filter(|p| p.submission.attempts.len() > 1)
            .count(),
        keys_with_two_order_ids: two_ids,
        replays_refused,
        stored: census.stored_total(),
        created_twice: census.orders_created_twice(),
        refused_but_stored: refused
            .iter()
            .filter(|p| census.orders.contains_key(&p.order.customer_email))
            .count(),
        lost: lost.len(),
        duplicate_audit_rows: census.duplicate_audit_rows(),
        unpublished: census.unpublished(),
        dead_letters: letters.len(),
        transient_dead_lettered: letters.iter().filter(|d| d.is_transient()).count(),
        permanent_dead_lettered: letters
            .iter()
            .filter(|d| !d.moved_by_sqs() && !d.is_transient())
            .count(),
        moved_by_sqs: letters.iter().filter(|d| d.moved_by_sqs()).count(),
        duplicate_emails: census.duplicate_emails(),
        dropped_send_email_replies: counts
            .get("SES.SendEmail")
            .map_or(0, |c: &OperationCounts| c.dropped_after),
        email_workers_killed: fleet.email_workers_killed(),
        processes_died: fleet.died_on_their_own(),
    };
    let report = Report {
        run: Run {
            seed: settings.seed,
            orders: settings.orders,
            clients: CLIENTS,
            failure_rate: settings.failure_rate,
            visibility_timeout_seconds: VISIBILITY_TIMEOUT_SECONDS,
            worker_timeout_seconds: WORKER_TIMEOUT_SECONDS,
            fleet: fleet.names(),
            relay: fleet.relay.is_some(),
            killed: fleet.killed.clone(),
            killed_after_orders: killed_after,
        },
        timing: Timing {
            startup_seconds: startup.as_secs_f64(),
            posting_seconds: posting.as_secs_f64(),
            settling_seconds: settling.as_secs_f64(),
            run_seconds: run.as_secs_f64(),
            orders_per_second: accepted.len() as f64 / run.as_secs_f64().max(f64::EPSILON),
            settling: settled,
        },
        figures,
        refused: refused
            .iter()
            .map(|p| Refusal {
                idempotency_key: p.submission.idempotency_key.clone(),
                attempts: p.submission.attempts.iter().map(Attempt::summary).collect(),
            })
            .collect(),
        lost,
        dead_letters: letters,
        proxy: Proxy {
            total: proxy.totals(),
            by_operation: counts,
        },
    };

    println!("{}", report.render());
    let path = report_path();
    match report.write(&path) {
        Ok(()) => println!("soak: wrote {}", path.display()),
        Err(e) => println!("soak: cannot write the report: {e}"),
    }
    let failures = report.failures();
    assert!(
        failures.is_empty(),
        "the fleet broke its promise under faults (SOAK_SEED={} SOAK_ORDERS={} replays this run):\n  - {}\n{}",
        settings.seed,
        settings.orders,
        failures.join("\n  - "),
        fleet.log_tails()
    );
}

/// Waits until every accepted order is stored, published, audited and
/// emailed, and both worker queues are empty (so late duplicates are counted
/// too); or until nothing is left that could finish an order (the queues
/// empty, and no unpublished order a running relay could publish); or until
/// `deadline`.
async fn settle(
    local: &LocalAws,
    stack: &Stack,
    accepted: &[&Posted],
    relay: bool,
    deadline: Instant,
) -> Settling {
    let mut last_mail: Option<Instant> = None;
    let mut last_note = Instant::now();
    let mut quiet = 0;
    loop {
        let mut census = Census::take(local, stack).await;
        let pending = |census: &Census| {
            accepted
                .iter()
                .filter(|p| {
                    let order_id = p.submission.order_id().unwrap_or_default();
                    let progress = census.progress(&p.order.customer_email, order_id);
                    // Mail not counted this round: judge the rest.
                    !(progress.stored && progress.published && progress.audited)
                        || (census.emails.is_some() && !progress.emailed)
                })
                .count()
        };
        let mail_due = last_mail.is_none_or(|at| at.elapsed() >= MAIL_EVERY);
        if pending(&census) == 0 || mail_due {
            census.count_mail(local, &stack.env).await;
            last_mail = Some(Instant::now());
        }
        let left = pending(&census);
        let queues = [
            depth(local, &stack.email_queue_url).await,
            depth(local, &stack.audit_queue_url).await,
        ];
        let drained = queues.iter().all(|q| *q == (0, 0));
        if census.emails.is_some() && left == 0 && drained {
            return Settling::Done;
        }
        // Three looks in a row, 2 s apart: a publish in progress shows.
        quiet = if drained && (census.unpublished() == 0 || !relay) {
            quiet + 1
        } else {
            0
        };
        if quiet >= 3 {
            return Settling::Stuck;
        }
        if Instant::now() >= deadline {
            return Settling::Deadline;
        }
        if last_note.elapsed() >= Duration::from_secs(10) {
            eprintln!(
                "soak: {left} of {} accepted orders unfinished; email queue {:?}, audit queue {:?} (visible, in flight)",
                accepted.len(),
                queues[0],
                queues[1]
            );
            last_note = Instant::now();
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// `target/soak/report.json`, next to `target/debug`.
fn report_path() -> std::path::PathBuf {
    let debug = fleet_tests::binary("order-api");
    debug
        .parent()
        .and_then(|d| d.parent())
        .map_or_else(std::env::temp_dir, |t| t.to_owned())
        .join("soak")
        .join("report.json")
}
