//! Section 1, the edge's CPU cost, in-process: parsing an order, and the whole
//! order-api router on a valid `POST /order` over the in-memory ports.

use std::hint::black_box;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use domain::parse_order;
use order_api::{router, OrderService};
use ports::fakes::{InMemoryOrderRepository, RecordingEventPublisher};
use serde_json::json;
use tower::ServiceExt;

use crate::report::{thousands, Figure, Goal, Row, Section, PARSE_GOAL};
use crate::stats::{per_op, CpuRun};

/// A valid order of `items` lines, as the mobile app sends it.
pub fn order_body(items: usize) -> String {
    let lines: Vec<_> = (0..items)
        .map(|i| {
            json!({
                "productId": format!("PROD-{i:03}"),
                "productName": format!("Widget {i}"),
                "quantity": i % 7 + 1,
                // Parsed, not computed: an f64 sum might not be a price of two decimals.
                "price": format!("{}.99", i % 20)
                    .parse::<serde_json::Number>()
                    .unwrap_or_else(|e| panic!("a price: {e}")),
            })
        })
        .collect();
    json!({
        "customerId": "CUST-1",
        "customerName": "Ada Lovelace",
        "customerEmail": "ada@example.com",
        "items": lines,
    })
    .to_string()
}

pub fn run() -> Section {
    // Timers: the router bounds each request by its deadline.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap_or_else(|e| panic!("a tokio runtime: {e}"));
    let mut rows = Vec::new();
    for items in [2, 50] {
        let body = order_body(items);
        if let Err(rejection) = parse_order(body.as_bytes()) {
            panic!("the bench's {items}-item order is invalid: {rejection:?}");
        }
        let run = per_op(|n| {
            let started = Instant::now();
            for _ in 0..n {
                let _ = black_box(parse_order(black_box(body.as_bytes())));
            }
            started.elapsed()
        });
        rows.push(cpu_row(
            format!("parse_order, {items} items ({} B)", body.len()),
            &run,
            "ns/op",
            (items == 50).then_some(PARSE_GOAL),
        ));
    }
    for items in [2, 50] {
        let body = order_body(items);
        let run = per_op(|n| post_orders(&runtime, &body, n));
        rows.push(cpu_row(
            format!("router POST /order → 200, {items} items"),
            &run,
            "µs/op",
            None,
        ));
    }
    Section {
        id: "edge".to_owned(),
        title: "1. The edge's CPU cost, in-process (one core, no I/O)".to_owned(),
        note: "parse_order: JSON → validated NewOrder. router: order_api::router over \
               ports::fakes (in-memory repository and publisher), driven by \
               tower::ServiceExt::oneshot — routing, request id, CORS layer, content type, \
               body limit, parsing, the order id its Idempotency-Key names and the \
               request's fingerprint, placing, the JSON answer. No tracing subscriber is \
               installed, so its log line costs nothing here. Figures per operation: \
               median and p95 of 100 samples after a 0.5 s warm-up."
            .to_owned(),
        rows,
    }
}

/// Posts `body` `n` times to a fresh router (so the in-memory store does not
/// grow across samples) and returns the time the requests took.
fn post_orders(runtime: &tokio::runtime::Runtime, body: &str, n: u64) -> Duration {
    let app = fresh_router();
    let requests: Vec<Request<Body>> = (0..n)
        .map(|i| {
            Request::post("/order")
                .header(header::CONTENT_TYPE, "application/json")
                // A key of its own, as the app sends: the order id it names
                // and the request's fingerprint are part of the work.
                .header("idempotency-key", format!("edge-{i}"))
                .body(Body::from(body.to_owned()))
                .unwrap_or_else(|e| panic!("a request: {e}"))
        })
        .collect();
    runtime.block_on(async move {
        let started = Instant::now();
        for request in requests {
            let response = app
                .clone()
                .oneshot(request)
                .await
                .unwrap_or_else(|e| match e {});
            let status = response.status();
            let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .unwrap_or_else(|e| panic!("the router's body: {e}"));
            if status != StatusCode::OK {
                panic!(
                    "the router answered {status}, not 200: {}",
                    String::from_utf8_lossy(&bytes)
                );
            }
            black_box(bytes);
        }
        started.elapsed()
    })
}

fn fresh_router() -> Router {
    let service = OrderService::new(
        InMemoryOrderRepository::default(),
        RecordingEventPublisher::default(),
    );
    router(
        service,
        &["https://app.example.com".to_owned()],
        order_api::AuthMode::Open,
    )
}

/// The median (judged against `goal`, if any) and the p95.
fn cpu_row(name: String, run: &CpuRun, unit: &str, goal: Option<Goal>) -> Row {
    let median = Figure::time("median", run.per_op.median(), unit);
    Row::new(
        name,
        format!("{} ops in {} samples", thousands(run.ops), run.per_op.len()),
        vec![
            match goal {
                Some(goal) => median.with_goal(goal),
                None => median,
            },
            Figure::time("p95", run.per_op.percentile(95.0), unit),
        ],
    )
}
