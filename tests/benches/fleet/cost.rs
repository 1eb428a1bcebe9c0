//! Section 7, what an order costs. N orders posted as the app posts them (a
//! fresh Idempotency-Key each, a customer each) through the whole fleet:
//! order-api, the outbox relay and both workers, each reaching moto through
//! a fault proxy of its own that fails nothing and counts every AWS call by
//! operation. Then, per path (the request, the relay, each worker): the
//! calls per order by operation, the DynamoDB units they consume (from the
//! sizes of the items written), and dollars per million orders at AWS's
//! list prices ([`prices`]).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use fleet_tests::app::App;
use fleet_tests::fault_proxy::FaultSettings;
use fleet_tests::probes::depth;
use fleet_tests::probes::scan;
use fleet_tests::process::FleetProcess;
use fleet_tests::{FaultProxy, LocalAws, Stack};
use serde_json::Value;

use crate::edge::order_body;
use crate::prices::{self, index_entry_size, item_size, write_units, Item};
use crate::report::{Figure, Row, Section};
use crate::stats::closed_loop;
use crate::workers::Progress;

/// Orders through the fleet before counting: every process polling, warm.
const WARM_UP: usize = 5;
/// Customers posting at once.
const CLIENTS: usize = 4;
/// A proxy that only counts.
const COUNT_ONLY: FaultSettings = FaultSettings {
    seed: 1,
    failure_rate: 0.0,
};
/// Bounds the wait for the queues to empty.
const PATIENCE: Duration = Duration::from_secs(120);

/// One function's calls: its process, and the proxy it reaches moto through.
struct Path {
    name: &'static str,
    proxy: FaultProxy,
}

/// What the proxies and the logs held at one moment.
struct Snapshot {
    calls: Vec<BTreeMap<String, u64>>,
    log_bytes: Vec<usize>,
    sweeps: usize,
}

impl Snapshot {
    fn take(paths: &[Path], processes: &[&FleetProcess], relay: &FleetProcess) -> Snapshot {
        Snapshot {
            calls: paths
                .iter()
                .map(|path| {
                    path.proxy
                        .counts()
                        .into_iter()
                        .map(|(operation, counts)| (operation, counts.total()))
                        .collect()
                })
                .collect(),
            log_bytes: processes.iter().map(|p| p.log().len()).collect(),
            sweeps: relay
                .log()
                .lines()
                .filter(|l| l.contains("outbox sweep"))
                .count(),
        }
    }
}

pub async fn run(local: &LocalAws, orders: usize) -> Section {
    let stack = Stack::create(local).await;
    let mut paths = Vec::new();
    for name in [
        "request (order-api)",
        "outbox relay",
        "email-worker",
        "audit-worker",
    ] {
        let proxy = FaultProxy::start(local.endpoint(), COUNT_ONLY).await;
        paths.push(Path { name, proxy });
    }
    let via = |i: usize| vec![("AWS_ENDPOINT_URL", paths[i].proxy.endpoint().to_owned())];
    let app = Arc::new(App::spawn(&stack, &via(0)));
    let relay = FleetProcess::start("outbox-relay", &stack, &via(1));
    let email = FleetProcess::start("email-worker", &stack, &via(2));
    let audit = FleetProcess::start("audit-worker", &stack, &via(3));
    let processes = [&app.process, &relay, &email, &audit];
    let workers = [&email, &audit];
    let progress = Progress::new(local, &stack, &workers);

    post(&app, &stack, 0, WARM_UP).await;
    progress.wait_for(WARM_UP, Instant::now()).await;
    drained(local, &stack).await;
    let before = Snapshot::take(&paths, &processes, &relay);
    let started = Instant::now();
    post(&app, &stack, WARM_UP, orders).await;
    progress.wait_for(WARM_UP + orders, started).await;
    drained(local, &stack).await;
    let after = Snapshot::take(&paths, &processes, &relay);
    let elapsed = started.elapsed();

    let n = orders as f64;
    let sweeps = after.sweeps.saturating_sub(before.sweeps).max(1) as f64;
    let calls: Vec<BTreeMap<String, f64>> = (0..paths.len())
        .map(|i| {
            after.calls[i]
                .iter()
                .map(|(operation, total)| {
                    let was = before.calls[i].get(operation).copied().unwrap_or(0);
                    (operation.clone(), total.saturating_sub(was) as f64)
                })
                .filter(|(_, count)| *count > 0.0)
                .collect()
        })
        .collect();
    let units = Units::measure(local, &stack).await;

    let mut rows = Vec::new();
    let mut per_order: Vec<BTreeMap<String, f64>> = Vec::new();
    for (i, path) in paths.iter().enumerate() {
        // The relay's calls come with its sweeps (every 5 s here, every
        // minute in Lambda), not with orders: shown per sweep.
        let relay = i == 1;
        let per = if relay { sweeps } else { n };
        let mut figures: Vec<Figure> = calls[i]
            .iter()
            .map(|(operation, count)| {
                let unit = if relay { "calls/sweep" } else { "calls/order" };
                Figure::new(operation, count / per, unit)
            })
            .collect();
        let (wru, rru) = units.of(i, &calls[i]);
        figures.push(Figure::new(
            "DynamoDB WRU",
            wru / per,
            unit_of(relay, "WRU"),
        ));
        figures.push(Figure::new(
            "DynamoDB RRU",
            rru / per,
            unit_of(relay, "RRU"),
        ));
        rows.push(Row::new(
            path.name,
            if relay {
                format!("{sweeps} sweeps while the orders went through")
            } else {
                format!("per order, {orders} orders")
            },
            figures,
        ));
        per_order.push(
            calls[i]
                .iter()
                .map(|(op, count)| (op.clone(), count / n))
                .collect(),
        );
    }
    let log_bytes: Vec<f64> = (0..processes.len())
        .map(|i| after.log_bytes[i].saturating_sub(before.log_bytes[i]) as f64 / n)
        .collect();
    let bill = Bill::of(&stack, &per_order, &units, &log_bytes);
    rows.push(Row::new(
        "item sizes",
        "the largest of each kind this run wrote, as DynamoDB counts them",
        ["order", "audit row", "Idempotency item"]
            .iter()
            .zip(units.largest)
            .map(|(kind, bytes)| Figure::new(kind, bytes as f64, "bytes"))
            .collect(),
    ));
    rows.extend(bill.rows());
    rows.push(fixed_row(&calls[1], sweeps, &units));

    Section {
        id: "cost".to_owned(),
        title: "7. What an order costs: every AWS call, counted (local mode, release builds)"
            .to_owned(),
        note: format!(
            "{orders} orders (2 items each, a fresh Idempotency-Key and a customer of their own) \
             posted by {CLIENTS} clients, through order-api, the outbox relay and both workers, \
             each reaching moto through a fault proxy of its own that fails nothing and counts \
             every call by operation; counted from the first post until every order was \
             audited and emailed and both queues were empty ({:.1} s), after {WARM_UP} orders \
             of warm-up. The workers poll as in local mode (long polls of up to 10 messages; \
             Lambda's event source mapping makes the same receives and batch deletes, its \
             batches capped at EmailBatchSize 5 and AuditBatchSize 10). DynamoDB units come \
             from the sizes of the items this run wrote: 1 WRU per KB of the larger of the \
             item before and after, index writes included (UnpublishedIndex KEYS_ONLY, \
             OrderIdIndex ALL); 0.5 RRU per empty index query. Dollars per million orders at \
             us-east-1 list prices read on 2026-12-06, Lambda on arm64 at the template's \
             memory sizes with estimated durations (order-api {} ms, email-worker {} ms a \
             batch of {}, audit-worker {} ms a batch of {}), logs from the bytes the \
             processes logged per order plus Lambda's platform and metrics lines (estimated).",
            elapsed.as_secs_f64(),
            prices::ORDER_API_MS,
            prices::EMAIL_WORKER_MS,
            prices::EMAIL_BATCH_SIZE,
            prices::AUDIT_WORKER_MS,
            prices::AUDIT_BATCH_SIZE,
        ),
        rows,
    }
}

fn unit_of(relay: bool, what: &str) -> &'static str {
    match (relay, what) {
        (true, "WRU") => "WRU/sweep",
        (true, _) => "RRU/sweep",
        (false, "WRU") => "WRU/order",
        (false, _) => "RRU/order",
    }
}

/// Posts orders `first..first + count`, each with a key and a customer of
/// its own (an address ending in `-<env>@example.com`, as [`Progress`]
/// counts mail), and checks every answer is a 200.
async fn post(app: &Arc<App>, stack: &Stack, first: usize, count: usize) {
    let template: Value =
        serde_json::from_str(&order_body(2)).unwrap_or_else(|e| panic!("an order: {e}"));
    let env = stack.env.clone();
    let app = app.clone();
    let load = closed_loop(count, CLIENTS, move |i| {
        let (app, mut body, env) = (app.clone(), template.clone(), env.clone());
        async move {
            body["customerEmail"] = Value::from(format!("buyer-{}-{env}@example.com", first + i));
            let key = uuid::Uuid::new_v4().to_string();
            let (status, answer) = app.post_order(&body.to_string(), Some(&key)).await;
            assert_eq!(status, 200, "{answer}");
            true
        }
    })
    .await;
    assert_eq!(load.failures, 0);
}

/// Waits until both worker queues hold nothing, visible or in flight: every
/// delete is in.
async fn drained(local: &LocalAws, stack: &Stack) {
    let since = Instant::now();
    for queue in [&stack.email_queue_url, &stack.audit_queue_url] {
        while depth(local, queue).await != (0, 0) {
            assert!(since.elapsed() < PATIENCE, "{queue} did not empty");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// The write and read units of one call of each kind, from the items the
/// run wrote.
struct Units {
    /// Order-api's put: the unpublished order and its UnpublishedIndex entry.
    order_put: f64,
    /// Marking it published (by order-api or the relay): the larger of the
    /// order before and after, and its index entry's removal.
    order_mark: f64,
    /// A write to the Idempotency table (the email worker's counter, claim
    /// and completion), at the size of the largest item there.
    idempotency_write: f64,
    /// The audit row and its OrderIdIndex copy.
    audit_put: f64,
    /// The items' sizes in bytes, as DynamoDB counts them: the largest
    /// order (published), audit row and Idempotency item.
    largest: [usize; 3],
}

impl Units {
    async fn measure(local: &LocalAws, stack: &Stack) -> Units {
        let orders = scan(local, &stack.orders_table).await;
        let (mut put, mut mark) = (0.0, 0.0);
        for published in &orders {
            let mut unpublished = published.clone();
            unpublished.remove("PublishedAt");
            unpublished.insert("Published".to_owned(), AttributeValue::Bool(false));
            unpublished.insert(
                "OutboxPending".to_owned(),
                AttributeValue::S("PENDING#31".to_owned()),
            );
            let entry = index_entry_size(&unpublished, &["OrderId", "OutboxPending", "CreatedAt"]);
            put += write_units(item_size(&unpublished)) + write_units(entry);
            mark +=
                write_units(item_size(&unpublished).max(item_size(published))) + write_units(entry);
        }
        let count = orders.len().max(1) as f64;
        let largest = |items: &[Item]| items.iter().map(item_size).max().unwrap_or(0);
        let audit_rows = scan(local, &stack.audit_table).await;
        let keys = scan(local, &stack.idempotency_table).await;
        let audit_put = audit_rows
            .iter()
            .map(|row| write_units(item_size(row)) + write_units(item_size(row) + 100))
            .sum::<f64>()
            / audit_rows.len().max(1) as f64;
        Units {
            order_put: put / count,
            order_mark: mark / count,
            idempotency_write: write_units(largest(&keys)),
            audit_put,
            largest: [largest(&orders), largest(&audit_rows), largest(&keys)],
        }
    }

    /// The write and read units of `calls` on path `path` (its index in
    /// [`run`]'s list): each path writes one table.
    fn of(&self, path: usize, calls: &BTreeMap<String, f64>) -> (f64, f64) {
        let count = |operation: &str| calls.get(operation).copied().unwrap_or(0.0);
        match path {
            0 => (
                count("DynamoDB.PutItem") * self.order_put
                    + count("DynamoDB.UpdateItem") * self.order_mark,
                // A repeated key's put answers the stored order at no read
                // charge; a GetItem only if DynamoDB did not.
                count("DynamoDB.GetItem"),
            ),
            1 => (
                // At most ten marks a BatchWriteItem (a batch of PublishBatch).
                count("DynamoDB.BatchWriteItem") * 10.0 * self.order_mark,
                count("DynamoDB.Query") * 0.5 + count("DynamoDB.BatchGetItem"),
            ),
            2 => (
                (count("DynamoDB.UpdateItem") + count("DynamoDB.PutItem")) * self.idempotency_write,
                count("DynamoDB.GetItem"),
            ),
            _ => (count("DynamoDB.PutItem") * self.audit_put, 0.0),
        }
    }
}

/// Dollars per million orders, by service, and what two choices would
/// change.
struct Bill {
    lines: Vec<(&'static str, f64)>,
    alternatives: Vec<(&'static str, f64)>,
}

impl Bill {
    /// `per_order`: each path's calls per order; `log_bytes`: each process's
    /// log bytes per order (order-api, relay, email, audit).
    fn of(
        stack: &Stack,
        per_order: &[BTreeMap<String, f64>],
        units: &Units,
        log_bytes: &[f64],
    ) -> Bill {
        let million = 1e6;
        let count =
            |path: usize, operation: &str| per_order[path].get(operation).copied().unwrap_or(0.0);
        let sum_of = |path: usize, prefix: &str| -> f64 {
            per_order[path]
                .iter()
                .filter(|(op, _)| op.starts_with(prefix))
                .map(|(_, n)| n)
                .sum()
        };
        let memory_gb = |id: &str| {
            stack
                .template
                .function(id)
                .map_or(0.128, |f| f.memory_size as f64 / 1024.0)
        };
        // Invocations per order: one request each; a worker one per batch.
        let invocations = [
            1.0,
            1.0 / prices::EMAIL_BATCH_SIZE,
            1.0 / prices::AUDIT_BATCH_SIZE,
        ];
        let gb_seconds = memory_gb("OrderApiFunction") * prices::ORDER_API_MS / 1e3
            * invocations[0]
            + memory_gb("EmailWorkerFunction") * prices::EMAIL_WORKER_MS / 1e3 * invocations[1]
            + memory_gb("AuditWorkerFunction") * prices::AUDIT_WORKER_MS / 1e3 * invocations[2];
        let (mut wru, mut rru) = (0.0, 0.0);
        for (path, calls) in per_order.iter().enumerate().filter(|(path, _)| *path != 1) {
            let (w, r) = units.of(path, calls);
            wru += w;
            rru += r;
        }
        // Local mode's keep-alive of a batch in progress is left out: the
        // test queues hide a message for 2 s, the template's for 180–360 s,
        // and Lambda's event source mapping extends nothing.
        let sqs: f64 = [2, 3]
            .iter()
            .map(|path| sum_of(*path, "SQS.") - count(*path, "SQS.ChangeMessageVisibilityBatch"))
            .sum();
        let log_gb = (log_bytes[0]
            + log_bytes[2]
            + log_bytes[3]
            + invocations.iter().sum::<f64>()
                * (prices::PLATFORM_LOG_BYTES + prices::METRICS_LOG_BYTES)
            + prices::ACCESS_LOG_BYTES)
            / 1e9;
        let lines = vec![
            // One request per order: the app's retries would add theirs.
            ("API Gateway", prices::API_GATEWAY_REST_PER_MILLION),
            ("WAF", prices::WAF_PER_MILLION_REQUESTS),
            (
                "Lambda requests",
                invocations.iter().sum::<f64>() * prices::LAMBDA_PER_MILLION_REQUESTS,
            ),
            (
                "Lambda GB-s (arm64, est.)",
                million * gb_seconds * prices::LAMBDA_ARM64_PER_GB_SECOND,
            ),
            ("DynamoDB writes", wru * prices::DYNAMODB_PER_MILLION_WRU),
            ("DynamoDB reads", rru * prices::DYNAMODB_PER_MILLION_RRU),
            (
                "SNS",
                (count(0, "SNS.Publish") + count(0, "SNS.PublishBatch"))
                    * prices::SNS_PER_MILLION_PUBLISHES,
            ),
            ("SQS", sqs * prices::SQS_PER_MILLION_REQUESTS),
            (
                "SES",
                million * count(2, "SES.SendEmail") * prices::SES_PER_EMAIL,
            ),
            (
                "CloudWatch Logs (est.)",
                million * log_gb * prices::LOGS_PER_GB,
            ),
            (
                "X-Ray (5% sampled, est.)",
                prices::XRAY_SAMPLED * prices::XRAY_PER_MILLION_TRACES,
            ),
        ];
        let emails = count(2, "SES.SendEmail");
        let alternatives = vec![
            (
                "SES on the Essentials plan",
                million * emails * prices::SES_ESSENTIALS_PER_EMAIL,
            ),
            (
                "Lambda GB-s on x86_64 (est.)",
                million * gb_seconds * prices::LAMBDA_X86_PER_GB_SECOND,
            ),
        ];
        Bill {
            lines,
            alternatives,
        }
    }

    fn rows(&self) -> [Row; 2] {
        let total: f64 = self.lines.iter().map(|(_, dollars)| dollars).sum();
        let mut figures: Vec<Figure> = self
            .lines
            .iter()
            .map(|(service, dollars)| Figure::new(service, *dollars, "$/M orders"))
            .collect();
        figures.push(Figure::new("total", total, "$/M orders"));
        let alternatives = self
            .alternatives
            .iter()
            .map(|(choice, dollars)| Figure::new(choice, *dollars, "$/M orders"))
            .collect();
        [
            Row::new(
                "dollars per million orders",
                "us-east-1 list prices, no free tier; SES à la carte, Lambda on arm64",
                figures,
            ),
            Row::new(
                "the same line, otherwise",
                "instead of the line above: SES's Essentials plan (new accounts' default), x86_64",
                alternatives,
            ),
        ]
    }
}

/// What runs whatever the orders: the relay's sweeps, once a minute in
/// Lambda (43,200 a month).
fn fixed_row(relay_calls: &BTreeMap<String, f64>, sweeps: f64, units: &Units) -> Row {
    let sweeps_a_month = 60.0 * 24.0 * 30.0;
    let (_, rru) = units.of(1, relay_calls);
    let relay_rru = rru / sweeps * sweeps_a_month;
    let relay_lambda = sweeps_a_month
        * (prices::LAMBDA_PER_MILLION_REQUESTS / 1e6
            + 0.125 * prices::RELAY_MS / 1e3 * prices::LAMBDA_ARM64_PER_GB_SECOND);
    Row::new(
        "fixed, per month",
        "whatever the orders: the relay's sweep once a minute (its index queries and \
         invocations), the web ACL, the key",
        vec![
            Figure::new(
                "relay DynamoDB reads",
                relay_rru * prices::DYNAMODB_PER_MILLION_RRU / 1e6,
                "$/month",
            ),
            Figure::new("relay Lambda (est.)", relay_lambda, "$/month"),
            Figure::new(
                "WAF web ACL and its 3 rules",
                prices::WAF_ACL_PER_MONTH + 3.0 * prices::WAF_RULE_PER_MONTH,
                "$/month",
            ),
            Figure::new("the topics' KMS key", prices::KMS_KEY_PER_MONTH, "$/month"),
        ],
    )
}
