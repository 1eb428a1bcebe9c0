//! AWS's list prices in us-east-1, DynamoDB's unit arithmetic, and the
//! durations the bill assumes for each function: what turns counted calls
//! into dollars per million orders (section 7).
//!
//! The prices were read on 2026-12-06; README.md ("What an order costs")
//! names the page each comes from and says which could not be confirmed.
//! The durations are estimates, not measurements: Lambda's own `Duration`
//! metric is the figure to put here once the functions run in AWS.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

/// API Gateway REST API, per million requests (the first 333 million a month).
pub const API_GATEWAY_REST_PER_MILLION: f64 = 3.50;
/// AWS WAF, per million requests the stage's web ACL inspects (its $5 a
/// month and $1 a rule a month are fixed).
pub const WAF_PER_MILLION_REQUESTS: f64 = 0.60;
/// AWS WAF's fixed prices: a web ACL, and a rule in it, per month.
pub const WAF_ACL_PER_MONTH: f64 = 5.0;
pub const WAF_RULE_PER_MONTH: f64 = 1.0;
/// A KMS customer managed key, per month (the topics' `TopicKey`).
pub const KMS_KEY_PER_MONTH: f64 = 1.0;
/// Lambda, per million requests (invocations), either architecture.
pub const LAMBDA_PER_MILLION_REQUESTS: f64 = 0.20;
/// Lambda on arm64 (the template's default `Architecture`), per GB-second
/// (the first 7.5 billion GB-seconds a month).
pub const LAMBDA_ARM64_PER_GB_SECOND: f64 = 0.000_013_333_4;
/// The same on x86_64, for comparison.
pub const LAMBDA_X86_PER_GB_SECOND: f64 = 0.000_016_666_7;
/// DynamoDB on-demand, per million write request units (standard table class).
pub const DYNAMODB_PER_MILLION_WRU: f64 = 0.625;
/// DynamoDB on-demand, per million read request units.
pub const DYNAMODB_PER_MILLION_RRU: f64 = 0.125;
/// SNS standard topic, per million publish requests (each 64 KB chunk one
/// request). Deliveries to SQS queues cost nothing.
pub const SNS_PER_MILLION_PUBLISHES: f64 = 0.50;
/// SQS standard queue, per million requests (each 64 KB chunk of a
/// request's payload one request; a batch is one request).
pub const SQS_PER_MILLION_REQUESTS: f64 = 0.40;
/// SES outbound, per email sent (to one recipient), à la carte: $0.10 per
/// 1,000. New accounts since 2026-07-21 start on the Essentials plan:
/// $0.16 per 1,000.
pub const SES_PER_EMAIL: f64 = 0.000_1;
/// SES on the Essentials plan, per email (the first 10 million a month).
pub const SES_ESSENTIALS_PER_EMAIL: f64 = 0.000_16;
/// CloudWatch Logs, standard class, per GB ingested (Lambda's logs: the
/// first tier of its vended-log prices; API Gateway's access log too).
pub const LOGS_PER_GB: f64 = 0.50;

/// X-Ray, per million traces recorded (the first 100,000 a month free).
pub const XRAY_PER_MILLION_TRACES: f64 = 5.0;
/// The share of orders traced under X-Ray's default sampling rule (the
/// first request each second, then 5%): 5% at a steady load of many orders
/// a second; every order below one a second.
pub const XRAY_SAMPLED: f64 = 0.05;

/// What one invocation of each function is assumed to take in AWS.
///
/// - order-api: three calls one after the other (PutItem and UpdateItem
///   about 5–10 ms each inside the region, Publish 10–30 ms) and the parse:
///   40 ms.
/// - email-worker: a batch of up to 5 records at once, each the hourly
///   counter, the claim, an SES send (50–100 ms) and the completion: 150 ms.
/// - audit-worker: a batch of up to 10 conditional puts at once: 30 ms.
/// - outbox-relay: a sweep of 33 empty index queries, one after the other:
///   200 ms, once a minute.
pub const ORDER_API_MS: f64 = 40.0;
pub const EMAIL_WORKER_MS: f64 = 150.0;
pub const AUDIT_WORKER_MS: f64 = 30.0;
pub const RELAY_MS: f64 = 200.0;

/// Lambda's own lines per invocation in the JSON log format
/// (`platform.start` and `platform.report`), and the metrics (EMF) line the
/// functions flush per invocation: estimated from their documented shapes.
pub const PLATFORM_LOG_BYTES: f64 = 600.0;
pub const METRICS_LOG_BYTES: f64 = 700.0;
/// One API Gateway access-log line (the template's JSON format).
pub const ACCESS_LOG_BYTES: f64 = 450.0;

/// The template's batch sizes (`EmailBatchSize`, `AuditBatchSize`):
/// Lambda's event source mapping invokes a worker at least once per this
/// many messages.
pub const EMAIL_BATCH_SIZE: f64 = 5.0;
pub const AUDIT_BATCH_SIZE: f64 = 10.0;

pub type Item = HashMap<String, AttributeValue>;

/// An item's size as DynamoDB counts it (*DynamoDB item sizes and formats*):
/// each attribute's name and value; a number 1 byte per two significant
/// digits plus 1; a boolean or null 1; a list or map 3 bytes plus its
/// elements, each 1 byte more.
pub fn item_size(item: &Item) -> usize {
    item.iter()
        .map(|(name, value)| name.len() + value_size(value))
        .sum()
}

fn value_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(n) => number_size(n),
        AttributeValue::B(b) => b.as_ref().len(),
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::Ss(set) => set.iter().map(String::len).sum(),
        AttributeValue::Ns(set) => set.iter().map(|n| number_size(n)).sum(),
        AttributeValue::Bs(set) => set.iter().map(|b| b.as_ref().len()).sum(),
        AttributeValue::L(list) => 3 + list.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
        AttributeValue::M(map) => {
            3 + map
                .iter()
                .map(|(name, v)| 1 + name.len() + value_size(v))
                .sum::<usize>()
        }
        _ => 0,
    }
}

fn number_size(n: &str) -> usize {
    let digits: String = n.chars().filter(char::is_ascii_digit).collect();
    let significant = digits.trim_start_matches('0').trim_end_matches('0').len();
    significant.div_ceil(2) + 1
}

/// Write request units for one write of an item of `bytes` (at least 1).
pub fn write_units(bytes: usize) -> f64 {
    bytes.div_ceil(1024).max(1) as f64
}

/// An index entry's size: the attributes it holds (`projected`: the index's
/// and the table's keys, and what the index projects) and 100 bytes.
pub fn index_entry_size(item: &Item, projected: &[&str]) -> usize {
    let kept: Item = item
        .iter()
        .filter(|(name, _)| projected.contains(&name.as_str()))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    item_size(&kept) + 100
}
