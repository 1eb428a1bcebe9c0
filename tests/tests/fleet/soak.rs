//! The fleet under production's failure modes: `make soak` (each scenario
//! at full size), and a short run of each in `make test`.
//!
//! The real binaries — one order-api, two email-workers, two audit-workers and
//! the outbox relay — reach moto through a [`FaultProxy`]. Each scenario
//! (`soak_support::scenario`) sets its faults on the proxy: a seeded share
//! of calls failing or losing their reply with workers SIGKILLed, SES
//! throttling, hung DynamoDB calls, a slow SNS, an SNS outage that leaves a
//! backlog. Eight clients post valid orders by the mobile app's retry
//! policy; then the test waits (bounded) until every accepted order is
//! stored, published, audited and emailed, replays every accepted key once,
//! and holds the fleet to the design's promise: 0 refused, 0 lost, 0
//! created twice, 0 duplicate audit rows, 0 orders needing an operator, 0
//! transient failures dead-lettered, no more duplicate emails than the
//! injected faults explain — and the scenario's own (POST's p95, the
//! backlog's drain).
//!
//! In `make soak` the scenarios run one at a time (they share one moto, and
//! measure it); in `make test` only the one that holds POST to a latency
//! does.
//! `SOAK_FULL=1` for the full sizes, `SOAK_ORDERS` to set every scenario's
//! size, `SOAK_SEED` (printed) to replay a run, `SOAK_FAILURE_RATE` to
//! change the failing-calls scenario's rate. Each report is printed
//! (`--nocapture` shows it) and written to `target/soak/<scenario>.json`.

// The report is what `make soak` is for.
#![allow(clippy::print_stdout)]

use std::time::{Duration, Instant};

use crate::soak_support::census::{dead_letters, Census};
use crate::soak_support::clients::{post_orders, replay, Posted, CLIENTS};
use crate::soak_support::fleet::{Fleet, VISIBILITY_TIMEOUT_SECONDS, WORKER_TIMEOUT_SECONDS};
use crate::soak_support::report::{
    Drain, Figures, LostOrder, Proxy, Refusal, Report, Run, Settling, Timing,
};
use crate::soak_support::scenario::{full, DuringPosting, Scenario};
use fleet_tests::fault_proxy::{FaultSettings, OperationCounts};
use fleet_tests::mobile::{Attempt, MobileApp};
use fleet_tests::probes::depth;
use fleet_tests::process::FleetProcess;
use fleet_tests::relay_ceiling::relay_ceiling;
use fleet_tests::{FaultProxy, LocalAws, Stack};

const DEFAULT_SEED: u64 = 20_240_501;
/// Counting mail makes moto serialize its whole state: not on every poll.
const MAIL_EVERY: Duration = Duration::from_secs(15);
/// Scanning the tables is not free either: while the queues hold work, this often.
const CENSUS_EVERY: Duration = Duration::from_secs(10);

/// A scenario that measures runs alone ([`Scenario::runs_alone`]); the
/// others share moto and the cores, at `make test`'s short sizes mostly
/// waiting on visibility timeouts and SES's pace.
static MOTO: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());
/// The lock is fair: a sharing scenario that asks after one waiting to run
/// alone waits for it too. Those that share give the others this head start,
/// so that they run together after them, not some before and some after.
const HEAD_START: Duration = Duration::from_secs(1);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn valid_orders_are_accepted_once_and_never_lost_while_aws_calls_fail_and_workers_die() {
    soak(Scenario::failing_calls_and_killed_workers()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_order_is_emailed_once_and_nothing_dead_lettered_while_ses_throttles() {
    soak(Scenario::ses_throttled()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_claim_completion_is_retried_and_its_customer_gets_one_email() {
    soak(Scenario::hung_claim_completions()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_answers_within_a_second_and_a_half_while_every_publish_takes_four() {
    soak(Scenario::slow_sns()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_backlog_of_an_sns_outage_is_drained_within_a_minute_of_its_end() {
    soak(Scenario::sns_outage()).await;
}

fn seed() -> u64 {
    std::env::var("SOAK_SEED")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(DEFAULT_SEED)
}

fn failure_rate(scenario: &Scenario) -> f64 {
    if scenario.failure_rate == 0.0 {
        return 0.0;
    }
    std::env::var("SOAK_FAILURE_RATE")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(scenario.failure_rate)
}

/// How long the fleet has, after the last post, to finish every order.
fn settle_for(orders: usize) -> Duration {
    Duration::from_secs(120 + orders as u64 / 5)
}

async fn soak(scenario: Scenario) {
    let (_alone, _shared);
    if scenario.runs_alone() {
        _alone = MOTO.write().await;
    } else {
        tokio::time::sleep(HEAD_START).await;
        _shared = MOTO.read().await;
    }
    let (orders, seed, failure_rate) = (scenario.size(), seed(), failure_rate(&scenario));
    let began = Instant::now();
    // At full size each scenario runs alone, on a moto of its own: the
    // thousands of items and mails the earlier scenarios left would slow
    // moto's one Python process, and be measured as this scenario's.
    let own = full().then(LocalAws::own);
    let local = own.as_ref().unwrap_or_else(|| LocalAws::shared());
    // moto's ceiling, measured first on a stack of its own, while nothing
    // else asks anything of it.
    let ceiling = match scenario.drain_limit {
        Some(_) => {
            let scratch = Stack::create(local).await;
            Some(relay_ceiling(local, &scratch, orders).await)
        }
        None => None,
    };
    let stack = Stack::create_with_visibility(local, VISIBILITY_TIMEOUT_SECONDS).await;
    let proxy = FaultProxy::start(local.endpoint(), FaultSettings { seed, failure_rate }).await;
    (scenario.setup)(&proxy);
    let env: Vec<(&'static str, String)> = scenario
        .env
        .iter()
        .map(|(k, v)| (*k, (*v).to_owned()))
        .collect();
    let mut fleet = Fleet::start(&stack, proxy.endpoint(), &env);
    let app = MobileApp::new(&fleet.app.address);
    let startup = began.elapsed();

    if scenario.during_posting == DuringPosting::SnsOutage {
        proxy.outage("SNS.", true);
    }
    let first_post = Instant::now();
    let (posted, killed_after) = post_orders(
        &app,
        &stack,
        orders,
        seed,
        &mut fleet,
        scenario.kill_workers,
    )
    .await;
    let posting = first_post.elapsed();
    let accepted: Vec<&Posted> = posted.iter().filter(|p| p.submission.accepted()).collect();
    let drain = match (scenario.during_posting, ceiling, scenario.drain_limit) {
        (DuringPosting::SnsOutage, Some(ceiling), Some(limit)) => {
            // moto serves every service from one Python process: while the
            // relay drains, the workers' calls would take the same core its
            // publishes need, which AWS's services never share. They wait,
            // and do all their work after.
            fleet.pause_workers(true);
            let relay = fleet
                .relay
                .as_ref()
                .expect("the outbox relay, to drain the backlog");
            let drained = drain(local, &stack, &proxy, relay, ceiling, limit).await;
            fleet.pause_workers(false);
            Some(drained)
        }
        _ => None,
    };

    let last_post = Instant::now();
    let deadline = last_post + settle_for(orders);
    let settled = settle(local, &stack, &accepted, fleet.relay.is_some(), deadline).await;
    let settling = last_post.elapsed();
    let run = first_post.elapsed();

    let (two_ids, replays_refused) = replay(&app, seed, &accepted).await;
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
    let mut latencies: Vec<u64> = posted
        .iter()
        .flat_map(|p| p.submission.latencies_ms.iter().copied())
        .collect();
    latencies.sort_unstable();
    let percentile = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p).ceil() as usize).saturating_sub(1))
            .copied()
            .unwrap_or(0)
    };
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
            .map_or(0, |c: &OperationCounts| c.dropped_after + c.abandoned),
        email_workers_killed: fleet.email_workers_killed(),
        processes_died: fleet.died_on_their_own(),
        post_p50_ms: percentile(0.50),
        post_p95_ms: percentile(0.95),
        post_max_ms: latencies.last().copied().unwrap_or(0),
        post_p95_limit_ms: scenario
            .post_p95_limit
            .map(|l| u64::try_from(l.as_millis()).unwrap_or(u64::MAX)),
        drain,
    };
    let report = Report {
        run: Run {
            scenario: scenario.name.to_owned(),
            seed,
            orders,
            clients: CLIENTS,
            failure_rate,
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
    let path = report_path(scenario.name);
    match report.write(&path) {
        Ok(()) => println!("soak: wrote {}", path.display()),
        Err(e) => println!("soak: cannot write the report: {e}"),
    }
    let failures = report.failures();
    assert!(
        failures.is_empty(),
        "the fleet broke its promise under \"{}\" (SOAK_SEED={seed} SOAK_ORDERS={orders} replays this run):\n  - {}\n{}",
        scenario.name,
        failures.join("\n  - "),
        fleet.log_tails()
    );
}

/// How often [`drain`] looks at the tables whatever the relay reports.
const LOOK_ANYWAY: Duration = Duration::from_secs(20);

/// Ends the SNS outage and times the relay's drain of the backlog it left:
/// from SNS's return until no order is unpublished, or twice the limit.
/// Watched through the relay's own sweep reports, which cost moto nothing
/// (a look at the tables scans them, on the core the relay's publishes
/// need); the tables are looked at once those add up to the backlog, and
/// every [`LOOK_ANYWAY`].
async fn drain(
    local: &LocalAws,
    stack: &Stack,
    proxy: &FaultProxy,
    relay: &FleetProcess,
    ceiling: f64,
    limit: Duration,
) -> Drain {
    let backlog = Census::take(local, stack).await.unpublished();
    let before = relay.relay_published();
    proxy.outage("SNS.", false);
    let back = Instant::now();
    let mut next_look = LOOK_ANYWAY;
    let seconds = loop {
        // The tables are looked at now and then anyway, should the reports
        // never add up (an order published by some other way meanwhile).
        let reported = relay.relay_published() - before >= backlog;
        if (reported || back.elapsed() >= next_look)
            && Census::take(local, stack).await.unpublished() == 0
        {
            break Some(back.elapsed().as_secs_f64());
        }
        if back.elapsed() >= next_look {
            next_look += LOOK_ANYWAY;
        }
        if back.elapsed() > limit * 2 {
            break None;
        }
        let pause = if reported { 1000 } else { 100 };
        tokio::time::sleep(Duration::from_millis(pause)).await;
    };
    Drain {
        backlog,
        seconds,
        limit_seconds: limit.as_secs_f64(),
        orders_per_second: seconds.map_or(0.0, |s| backlog as f64 / s.max(f64::EPSILON)),
        ceiling_per_second: ceiling,
    }
}

/// Waits until every accepted order is stored, published, audited and
/// emailed, and both worker queues are empty (so late duplicates are counted
/// too); or until nothing is left that could finish an order (the queues
/// empty, and no unpublished order a running relay could publish); or until
/// `deadline`.
///
/// The queues' depths are cheap to ask; the census scans the tables, which
/// takes moto's one core from the fleet it measures. While the queues still
/// hold work no order set can be done, so the census is taken only once
/// they are empty, or every [`CENSUS_EVERY`] for the progress line.
async fn settle(
    local: &LocalAws,
    stack: &Stack,
    accepted: &[&Posted],
    relay: bool,
    deadline: Instant,
) -> Settling {
    let mut last_mail: Option<Instant> = None;
    let mut last_census: Option<Instant> = None;
    let mut quiet = 0;
    loop {
        let queues = depths(local, stack).await;
        let drained = queues.iter().all(|q| *q == (0, 0));
        let census_due = last_census.is_none_or(|at| at.elapsed() >= CENSUS_EVERY);
        if !drained {
            quiet = 0;
        }
        if drained || census_due {
            last_census = Some(Instant::now());
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
            // The queues asked again, after the census: a late duplicate shows.
            if census.emails.is_some() && left == 0 && drained && queues_empty(local, stack).await {
                return Settling::Done;
            }
            // Three looks in a row, 2 s apart: a publish in progress shows.
            if drained && (census.unpublished() == 0 || !relay) {
                quiet += 1;
            } else {
                quiet = 0;
            }
            if quiet >= 3 {
                return Settling::Stuck;
            }
            if census_due {
                eprintln!(
                    "soak: {left} of {} accepted orders unfinished; email queue {:?}, audit queue {:?} (visible, in flight)",
                    accepted.len(),
                    queues[0],
                    queues[1]
                );
            }
        }
        if Instant::now() >= deadline {
            return Settling::Deadline;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// The email and audit queues' (visible, in flight) messages.
async fn depths(local: &LocalAws, stack: &Stack) -> [(u64, u64); 2] {
    [
        depth(local, &stack.email_queue_url).await,
        depth(local, &stack.audit_queue_url).await,
    ]
}

async fn queues_empty(local: &LocalAws, stack: &Stack) -> bool {
    depths(local, stack).await.iter().all(|q| *q == (0, 0))
}

/// `target/soak/<scenario>.json`, next to `target/debug`.
fn report_path(scenario: &str) -> std::path::PathBuf {
    let debug = fleet_tests::binary("order-api");
    let file: String = scenario
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    debug
        .parent()
        .and_then(|d| d.parent())
        .map_or_else(std::env::temp_dir, |t| t.to_owned())
        .join("soak")
        .join(format!("{file}.json"))
}
