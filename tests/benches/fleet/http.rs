//! Section 2, the real order-api binary over HTTP against moto: latency and
//! requests/s, one client at a time and eight at once.

use std::sync::Arc;

use fleet_tests::app::App;
use fleet_tests::{LocalAws, Stack};

use crate::edge::order_body;
use crate::report::{Figure, Row, Section};
use crate::stats::{closed_loop, Load};

/// Requests before measuring: connections, moto's first-call paths.
const WARM_UP: usize = 20;
pub const CONCURRENCY: usize = 8;

pub async fn run(local: &LocalAws, requests: usize) -> Section {
    let body: Arc<str> = order_body(2).into();
    let mut rows = Vec::new();
    for concurrency in [1, CONCURRENCY] {
        // Each run on a stack and an order-api of its own: nothing drains the
        // queues here, and moto slows as they fill.
        let stack = Stack::create(local).await;
        let app = Arc::new(App::spawn(&stack, &[]));
        load(&app, &body, WARM_UP, 1).await;
        let measured = load(&app, &body, requests, concurrency).await;
        let clients = match concurrency {
            1 => format!("{requests} requests, sequential (1 client)"),
            n => format!("{requests} requests, concurrency {n} ({n} clients)"),
        };
        let mut row = Row::latencies(
            clients,
            format!(
                "{} not 200, {:.1} s in all",
                measured.failures,
                measured.wall.as_secs_f64()
            ),
            &measured.latencies,
            "ms",
        );
        row.figures
            .push(Figure::new("throughput", measured.throughput(), "req/s"));
        rows.push(row);
    }
    Section {
        id: "http".to_owned(),
        title: "2. order-api over HTTP against moto (local mode, release build)".to_owned(),
        note: "POST /order with a valid 2-item order, no Idempotency-Key: DynamoDB PutItem, \
               SNS Publish (fanned out to two SQS queues), UpdateItem, all on moto. moto \
               (Python, one process, sharing the machine's cores with the API and this \
               client) dominates: compare with section 1 for the API's own share. Each run \
               has a fresh stack and order-api and starts with 20 unmeasured requests; no \
               workers run, so each queue ends the run holding every event."
            .to_owned(),
        rows,
    }
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
