//! The fleet's metrics as CloudWatch EMF, dimensions `Environment` and `Function`
//! only (an id would make each its own metric). A Lambda invocation ends with
//! [`flush`] to stdout; locally they are a log line per batch, sweep or interval.

use std::sync::OnceLock;

use metrics_cloudwatch_embedded::Collector;

pub use metrics::{counter, gauge, histogram};

/// Every metric the fleet emits; the template's dashboards and alarms use these.
pub mod name {
    /// order-api: every `POST /order` that reached the handler.
    pub const ORDERS_RECEIVED: &str = "OrdersReceived";
    /// order-api: refused for the order's content (400 Validation failed).
    pub const VALIDATION_ERRORS: &str = "ValidationErrors";
    /// order-api: stored and answered 200, once per order.
    pub const ORDERS_PROCESSED: &str = "OrdersProcessed";
    /// order-api: answered 5xx.
    pub const ORDERS_FAILED: &str = "OrdersFailed";
    /// order-api: a repeated Idempotency-Key answered with the first answer.
    pub const IDEMPOTENT_REPLAYS: &str = "IdempotentReplays";
    /// order-api: events it published itself.
    pub const ORDERS_PUBLISHED: &str = "OrdersPublished";
    /// order-api: stored orders whose publish failed, left to the relay.
    pub const PUBLISH_DEFERRED: &str = "PublishDeferred";
    /// outbox-relay: events it published.
    pub const ORDERS_PUBLISHED_BY_RELAY: &str = "OrdersPublishedByRelay";
    /// outbox-relay: how long the oldest unpublished order has waited (s).
    pub const OUTBOX_BACKLOG_AGE: &str = "OutboxBacklogAgeSeconds";
    /// email-worker: confirmations SES accepted, and failed attempts.
    pub const EMAILS_SENT: &str = "EmailsSent";
    pub const EMAILS_FAILED: &str = "EmailsFailed";
    /// email-worker: confirmations not sent: the address's hourly limit.
    pub const EMAILS_OVER_LIMIT: &str = "EmailsOverLimit";
    /// email-worker: from the order's creation to its email (ms).
    pub const ORDER_TO_EMAIL_MS: &str = "OrderToEmailMs";
    /// audit-worker: audit records written (not the duplicates it skipped).
    pub const AUDIT_RECORDS_CREATED: &str = "AuditRecordsCreated";
    /// audit-worker: from the order's creation to its audit record (ms).
    pub const ORDER_TO_AUDIT_MS: &str = "OrderToAuditMs";
    /// Both workers: records moved to the DLQ, by the failure's kind.
    pub const DEAD_LETTERED_PERMANENT: &str = "DeadLetteredPermanent";
    pub const DEAD_LETTERED_TRANSIENT: &str = "DeadLetteredTransient";
    /// Both workers: records put back with a backoff delay; of those, the throttled ones.
    pub const RECORDS_RETRIED: &str = "RecordsRetried";
    pub const RECORDS_THROTTLED: &str = "RecordsThrottled";
    /// outbox-relay: backlog entries it could not read, skipped (each logged).
    pub const OUTBOX_UNREADABLE: &str = "OutboxUnreadable";
    /// Every function: the invocation that started the process.
    pub const COLD_START: &str = "ColdStart";
}

struct Sink {
    collector: &'static Collector,
    lambda: bool,
}

static SINK: OnceLock<Sink> = OnceLock::new();

/// Installs the recorder once per process (before that, the facade does nothing). The
/// `Function` dimension is Lambda's function name, or `component` locally.
pub fn init(environment: &str, component: &str, lambda: bool) {
    let function = std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|_| component.into());
    let installed = metrics_cloudwatch_embedded::Builder::new()
        .cloudwatch_namespace("OrderFleet")
        .with_dimension("Environment", environment.to_owned())
        .with_dimension("Function", function)
        .init();
    match installed {
        Ok(collector) => {
            if SINK.set(Sink { collector, lambda }).is_ok() && lambda {
                counter!(name::COLD_START).increment(1);
            }
        }
        Err(error) => tracing::warn!(%error, "metrics are off: a recorder is already installed"),
    }
}

/// Writes the metrics since the last flush: EMF on stdout in Lambda, else a log line.
pub fn flush() {
    let Some(sink) = SINK.get() else { return };
    if sink.lambda {
        if let Err(error) = sink.collector.flush(std::io::stdout().lock()) {
            tracing::warn!(%error, "could not write the metrics");
        }
        return;
    }
    let mut documents = Vec::new();
    if sink.collector.flush(&mut documents).is_ok() {
        let metrics = summary(&documents);
        if !metrics.is_empty() {
            tracing::info!(metrics = %metrics, "metrics");
        }
    }
}

/// `OrdersReceived=3 EmailsSent=2 OrderToEmailMs=[120,340]` from EMF documents.
fn summary(documents: &[u8]) -> String {
    let mut parts = Vec::new();
    let lines = documents.split(|b| *b == b'\n');
    for document in lines.filter_map(|l| serde_json::from_slice::<serde_json::Value>(l).ok()) {
        let metrics = document["_aws"]["CloudWatchMetrics"][0]["Metrics"].as_array();
        for name in metrics
            .into_iter()
            .flatten()
            .filter_map(|m| m["Name"].as_str())
        {
            parts.push(format!("{name}={}", document[name]));
        }
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::summary;

    #[test]
    fn a_local_summary_names_each_metric_of_each_document() {
        let documents = concat!(
            r#"{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"OrderFleet","Dimensions":[["Environment","Function"]],"Metrics":[{"Name":"EmailsSent"},{"Name":"OrderToEmailMs","Unit":"Milliseconds"}]}]},"Environment":"local","Function":"email-worker","EmailsSent":2,"OrderToEmailMs":[120.0,340.0]}"#,
            "\n"
        );
        assert_eq!(
            summary(documents.as_bytes()),
            "EmailsSent=2 OrderToEmailMs=[120.0,340.0]"
        );
    }
}
