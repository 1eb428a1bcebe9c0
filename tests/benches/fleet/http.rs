//! Section 2, the real order-api binary over HTTP against moto: latency and
//! requests/s, one client at a time and eight at once.

use std::sync::Arc;

use fleet_tests::app::App;
use fleet_tests::{LocalAws, Stack};

use crate::ceiling;
use crate::edge::order_body;
use crate::report::{Figure, Row, Section, RSS_GOAL, THROUGHPUT_GOAL};
use crate::stats::{closed_loop, Load};

/// Requests before measuring: connections, moto's first-call paths.
const WARM_UP: usize = 20;
pub const CONCURRENCY: usize = 8;

pub async fn run(local: &LocalAws, requests: usize) -> Section {
    let body: Arc<str> = order_body(2).into();
    let mut rows = Vec::new();
    for concurrency in [1, CONCURRENCY] {
        let clients = match concurrency {
            1 => format!("{requests} orders, sequential (1 client)"),
            n => format!("{requests} orders, concurrency {n} ({n} clients)"),
        };
        // The limit first: the same calls from a minimal client, on a stack of its own.
        let ceiling = ceiling::orders(local, &body, WARM_UP, requests, concurrency).await;
        rows.push(load_row(format!("moto ceiling, {clients}"), &ceiling));

        // Each run on a stack and an order-api of its own: nothing drains the
        // queues here, and moto slows as they fill.
        let stack = Stack::create(local).await;
        let app = Arc::new(App::spawn(&stack, &[]));
        load(&app, &body, WARM_UP, 1).await;
        let measured = load(&app, &body, requests, concurrency).await;
        let mut row = load_row(format!("order-api, {clients}"), &measured);
        row.figures.push(
            Figure::ratio("vs ceiling", measured.throughput(), ceiling.throughput())
                .with_goal(THROUGHPUT_GOAL),
        );
        if let Some(rss) = app.process.peak_rss() {
            row.figures
                .push(Figure::new("peak RSS", rss as f64, "B").with_goal(RSS_GOAL));
        }
        rows.push(row);
    }
    Section {
        id: "http".to_owned(),
        title: "2. order-api over HTTP against moto (local mode, release build)".to_owned(),
        note: "POST /order with a valid 2-item order, no Idempotency-Key: DynamoDB PutItem, \
               SNS Publish (fanned out to two SQS queues), UpdateItem, all on moto. The \
               ceiling is moto's own: the same parse and the same three calls through the \
               same adapters from a minimal client (no HTTP, no order-api) at the same \
               concurrency, measured just before. moto is one Python process sharing the \
               machine's two cores with the API and this client. Each run has a fresh stack \
               (and order-api) and starts with 20 unmeasured requests; no workers run, so \
               each queue ends the run holding every event."
            .to_owned(),
        rows,
    }
}

fn load_row(name: String, measured: &Load) -> Row {
    let mut row = Row::latencies(
        name,
        format!(
            "{} failed, {:.1} s in all",
            measured.failures,
            measured.wall.as_secs_f64()
        ),
        &measured.latencies,
        "ms",
    );
    row.figures
        .push(Figure::new("throughput", measured.throughput(), "req/s"));
    row
}

/// `requests` orders from `concurrency` clients; a non-200 counts as failed.
async fn load(app: &Arc<App>, body: &Arc<str>, requests: usize, concurrency: usize) -> Load {
    let (app, body) = (app.clone(), body.clone());
    closed_loop(requests, concurrency, move |_| {
        let (app, body) = (app.clone(), body.clone());
        async move { app.post_order(&body, None).await.0 == 200 }
    })
    .await
}
