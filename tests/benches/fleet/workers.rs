//! Section 3, both workers against moto: N events published to a stack's topic,
//! timed until every audit row exists and every email was sent.

use std::sync::Arc;
use std::time::{Duration, Instant};

use adapters::SnsEventPublisher;
use aws_sdk_dynamodb::types::Select;
use fleet_tests::process::FleetProcess;
use fleet_tests::{LocalAws, Stack};
use ports::EventPublisher;

use crate::ceiling;
use crate::report::{Figure, Row, Section, RSS_GOAL, THROUGHPUT_GOAL};
use crate::stats::closed_loop;
use fleet_tests::probes::depth;
use fleet_tests::workers::order_event;

/// Events processed before the clock starts: both workers polling, warm.
const WARM_UP: usize = 5;
/// Publishers at once: enough that publishing does not pace the workers.
const PUBLISHERS: usize = 4;
/// How often the effects are counted.
const POLL: Duration = Duration::from_millis(100);
/// Bounds the wait; a stuck worker ends the bench with its log.
const PATIENCE: Duration = Duration::from_secs(300);

pub async fn run(local: &LocalAws, events: usize) -> Section {
    // The limit first: the workers' calls from minimal consumers, on a stack of its own.
    let ceiling = {
        let stack = Stack::create(local).await;
        let _consumers = ceiling::workers(local, &stack);
        measure(local, &stack, events, &[]).await
    };
    let stack = Stack::create(local).await;
    // The worker's own cost, not the account's SES rate: paced to SES's
    // default 14/s it would measure the pacing (the soak proves that).
    let email = FleetProcess::start(
        "email-worker",
        &stack,
        &[("SES_MAX_SEND_RATE", "1000".to_owned())],
    );
    let audit = FleetProcess::start("audit-worker", &stack, &[]);
    let measured = measure(local, &stack, events, &[&email, &audit]).await;

    let mut rows = vec![row(
        format!("moto ceiling, {events} events"),
        &ceiling,
        events,
    )];
    let mut workers = row(format!("{events} events, both workers"), &measured, events);
    workers.figures.push(
        Figure::ratio(
            "vs ceiling",
            measured.throughput(events),
            ceiling.throughput(events),
        )
        .with_goal(THROUGHPUT_GOAL),
    );
    for worker in [&email, &audit] {
        if let Some(rss) = worker.peak_rss() {
            workers.figures.push(
                Figure::new(&format!("{} peak RSS", worker.name), rss as f64, "B")
                    .with_goal(RSS_GOAL),
            );
        }
    }
    rows.push(workers);
    Section {
        id: "workers".to_owned(),
        title: "3. The workers' throughput against moto (local mode, release builds)".to_owned(),
        note: "email-worker and audit-worker long-poll their queues (batches of 10, up to 10 \
               records at once) while the events are published to the stack's topic; the \
               clock runs from the first publish until every audit row exists and every \
               email was sent (moto's SES). Per event: audit-worker one conditional PutItem; \
               email-worker the recipient limit, an idempotency claim and its completion \
               (DynamoDB) around one SES send; each deletes its batch. The ceiling is \
               moto's own: the same handlers on the same calls from two minimal consumers \
               (receive 10, handle, delete the batch; no runner), measured just before on \
               a stack of its own. Everything, publishers included, talks to the one moto."
            .to_owned(),
        rows,
    }
}

/// Publishes `events` (after a warm-up) to `stack` and waits for their effects.
async fn measure(
    local: &LocalAws,
    stack: &Stack,
    events: usize,
    workers: &[&FleetProcess],
) -> Measured {
    let publisher = Arc::new(SnsEventPublisher::new(local.sns(), &stack.topic_arn));
    publish(&publisher, stack, 0, WARM_UP).await;
    let progress = Progress::new(local, stack, workers);
    progress.wait_for(WARM_UP, Instant::now()).await;

    let started = Instant::now();
    let published = publish(&publisher, stack, WARM_UP, events).await;
    let done = progress.wait_for(WARM_UP + events, started).await;
    Measured { published, done }
}

struct Measured {
    published: Duration,
    done: Done,
}

impl Measured {
    fn total(&self) -> Duration {
        self.done.audit.max(self.done.email)
    }

    fn throughput(&self, events: usize) -> f64 {
        events as f64 / self.total().as_secs_f64()
    }
}

fn row(name: String, measured: &Measured, events: usize) -> Row {
    Row::new(
        name,
        format!(
            "{events} ORDER_CREATED events from {PUBLISHERS} publishers, published in {:.1} s",
            measured.published.as_secs_f64()
        ),
        vec![
            Figure::time("all audit rows", measured.done.audit, "s"),
            Figure::time("all emails", measured.done.email, "s"),
            Figure::time(
                "drained after the last publish",
                measured.total().saturating_sub(measured.published),
                "s",
            ),
            Figure::new("throughput", measured.throughput(events), "events/s"),
        ],
    )
}

/// Publishes events `first..first + count` of the stack; returns how long it took.
async fn publish(
    publisher: &Arc<SnsEventPublisher>,
    stack: &Stack,
    first: usize,
    count: usize,
) -> Duration {
    let events: Arc<Vec<_>> = Arc::new(
        (first..first + count)
            .map(|i| order_event(stack, i))
            .collect(),
    );
    let publisher = publisher.clone();
    let load = closed_loop(count, PUBLISHERS, move |i| {
        let (publisher, events) = (publisher.clone(), events.clone());
        async move {
            publisher
                .publish(&events[i])
                .await
                .unwrap_or_else(|e| panic!("publishing: {}", ports::error_chain(&e)));
            true
        }
    })
    .await;
    load.wall
}

/// When the last audit row and the last email appeared.
#[derive(Debug)]
pub struct Done {
    audit: Duration,
    email: Duration,
}

/// Counts a stack's effects: audit rows (a COUNT scan) and sent mail (moto's
/// state, read only once the email queue is empty, as it is large). Mail
/// counts for customers whose address ends in `-<env>@example.com`.
pub struct Progress<'a> {
    local: &'a LocalAws,
    stack: &'a Stack,
    workers: &'a [&'a FleetProcess],
    dynamodb: aws_sdk_dynamodb::Client,
}

impl<'a> Progress<'a> {
    pub fn new(
        local: &'a LocalAws,
        stack: &'a Stack,
        workers: &'a [&'a FleetProcess],
    ) -> Progress<'a> {
        Progress {
            local,
            stack,
            workers,
            dynamodb: local.dynamodb(),
        }
    }

    /// Waits until `expected` audit rows and emails exist; times from `since`.
    pub async fn wait_for(&self, expected: usize, since: Instant) -> Done {
        let (mut audit, mut email) = (None, None);
        loop {
            if audit.is_none() && self.audit_rows().await >= expected {
                audit = Some(since.elapsed());
            }
            if email.is_none()
                && depth(self.local, &self.stack.email_queue_url).await == (0, 0)
                && self.emails().await >= expected
            {
                email = Some(since.elapsed());
            }
            if let (Some(audit), Some(email)) = (audit, email) {
                return Done { audit, email };
            }
            if since.elapsed() > PATIENCE {
                let logs: Vec<String> = self.workers.iter().map(|w| w.log_tail()).collect();
                panic!(
                    "the workers did not finish {expected} events within {PATIENCE:?}\n{}",
                    logs.join("\n")
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    async fn audit_rows(&self) -> usize {
        let (mut count, mut start) = (0, None);
        loop {
            let page = self
                .dynamodb
                .scan()
                .table_name(&self.stack.audit_table)
                .select(Select::Count)
                .set_exclusive_start_key(start)
                .send()
                .await
                .unwrap_or_else(|e| panic!("counting {}: {e}", self.stack.audit_table));
            count += usize::try_from(page.count).unwrap_or(0);
            match page.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return count,
            }
        }
    }

    /// Mail moto's SES accepted for this stack's customers (their addresses
    /// end in `-<env>@example.com`; see `order_event`).
    async fn emails(&self) -> usize {
        let suffix = format!("-{}@example.com", self.stack.env);
        let state = self.local.moto_state().await;
        state["ses"]["Message"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|m| m["destinations"].to_string().contains(&suffix))
            .count()
    }
}
