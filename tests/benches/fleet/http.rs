//! Section 2, the real order-api binary over HTTP against moto: latency and
//! requests/s of the request the app sends (`POST /order` with a fresh
//! Idempotency-Key for each order), one client at a time and eight at once.

use std::sync::Arc;

use fleet_tests::app::App;
use fleet_tests::fault_proxy::FaultSettings;
use fleet_tests::{FaultProxy, LocalAws, Stack};

use crate::ceiling;
use crate::edge::order_body;
use crate::report::{Figure, Goal, Row, Section, RSS_GOAL, THROUGHPUT_GOAL};
use crate::stats::{closed_loop, Load};

/// Requests before measuring: connections, moto's first-call paths.
const WARM_UP: usize = 20;
pub const CONCURRENCY: usize = 8;

pub async fn run(local: &LocalAws, requests: usize) -> Section {
    let body: Arc<str> = order_body(2).into();
    let mut rows = Vec::new();
    let mut one_client = None;
    for concurrency in [1, CONCURRENCY] {
        let clients = match concurrency {
            1 => format!("{requests} keyed orders, sequential (1 client)"),
            n => format!("{requests} keyed orders, concurrency {n} ({n} clients)"),
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
        match one_client {
            None => one_client = Some(measured.throughput()),
            // More clients must never make the API slower.
            Some(one) => row.figures.push(
                Figure::ratio("vs 1 client", measured.throughput(), one)
                    .with_goal(Goal::AtLeast(1.0)),
            ),
        }
        if let Some(rss) = app.process.peak_rss() {
            row.figures
                .push(Figure::new("peak RSS", rss as f64, "B").with_goal(RSS_GOAL));
        }
        rows.push(row);
        rows.push(where_the_time_goes(local, &body, requests, concurrency, &clients).await);
    }
    Section {
        id: "http".to_owned(),
        title: "2. order-api over HTTP against moto (local mode, release build)".to_owned(),
        note: "POST /order with a valid 2-item order and a fresh Idempotency-Key, as the app \
               sends it: DynamoDB PutItem of the order the key names (conditional), SNS \
               Publish (fanned out to two SQS queues), UpdateItem, all on moto. The ceiling is \
               moto's own: the same parse, key and fingerprint and the same three calls through \
               the same adapters from a minimal client (no HTTP, no order-api) at the same \
               concurrency, measured just before. moto is one Python process sharing the \
               machine's two cores with the API and this client. Each run has a fresh stack \
               (and order-api) and starts with 20 unmeasured requests; no workers run, so \
               each queue ends the run holding every event. Where the time goes: one more run \
               of order-api, reaching moto through a fault proxy that fails nothing and adds \
               up the time moto took per call (the proxy's hop is in the request's time, not \
               in moto's): a request's time less its calls' is order-api's own, and the HTTP \
               between."
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

/// One more run, order-api reaching moto through a counting proxy: moto's
/// time per call by operation, and how much of a request's time they make.
async fn where_the_time_goes(
    local: &LocalAws,
    body: &Arc<str>,
    requests: usize,
    concurrency: usize,
    clients: &str,
) -> Row {
    let stack = Stack::create(local).await;
    let settings = FaultSettings {
        seed: 1,
        failure_rate: 0.0,
    };
    let proxy = FaultProxy::start(local.endpoint(), settings).await;
    let app = Arc::new(App::spawn(
        &stack,
        &[("AWS_ENDPOINT_URL", proxy.endpoint().to_owned())],
    ));
    load(&app, body, WARM_UP, 1).await;
    let (counts, before) = (proxy.counts(), proxy.upstream_times());
    let measured = load(&app, body, requests, concurrency).await;
    let after = proxy.upstream_times();
    let n = measured.latencies.len().max(1) as f64;
    let mut in_moto = 0.0;
    let mut figures = Vec::new();
    for (operation, total) in &after {
        let spent = total.saturating_sub(before.get(operation).copied().unwrap_or_default());
        let calls =
            proxy.counts()[operation].total() - counts.get(operation).map_or(0, |c| c.total());
        if calls == 0 {
            continue;
        }
        in_moto += spent.as_secs_f64();
        figures.push(Figure::time(operation, spent / calls as u32, "ms"));
    }
    let mean = measured.wall.as_secs_f64() * concurrency as f64 / n;
    figures.push(Figure::new("in moto, per request", in_moto / n * 1e3, "ms"));
    figures.push(Figure::new("request, mean", mean * 1e3, "ms"));
    figures.push(Figure::new("throughput", measured.throughput(), "req/s"));
    Row::new(
        format!("where the time goes, {clients}"),
        "order-api through a counting proxy: moto's mean time per call",
        figures,
    )
}

/// `requests` orders from `concurrency` clients; a non-200 counts as failed.
async fn load(app: &Arc<App>, body: &Arc<str>, requests: usize, concurrency: usize) -> Load {
    let (app, body) = (app.clone(), body.clone());
    closed_loop(requests, concurrency, move |_| {
        let (app, body) = (app.clone(), body.clone());
        async move {
            // One key per order, as the app makes when the customer taps
            // "Place order".
            let key = uuid::Uuid::new_v4().to_string();
            app.post_order(&body, Some(&key)).await.0 == 200
        }
    })
    .await
}
