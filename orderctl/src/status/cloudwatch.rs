//! What `status` asks CloudWatch: the alarms in ALARM, and the work queues' oldest
//! messages' age. Where it cannot be read, the screen says so and shows the rest.

use std::collections::HashMap;
use std::time::SystemTime;

use adapters::sdk_error::backend_error;
use aws_sdk_cloudwatch::primitives::DateTime as AwsTime;
use aws_sdk_cloudwatch::types::{
    AlarmType, Dimension, Metric, MetricDataQuery, MetricStat, ScanBy, StateValue,
};
use aws_sdk_cloudwatch::Client;
use chrono::{DateTime, Duration, Utc};
use domain::iso8601;
use ports::error_chain;
use serde::Serialize;

/// SQS sends a queue's age metric every minute while in use; CloudWatch shows it minutes later.
const METRIC_WINDOW_MINUTES: i64 = 15;

/// The alarms of the environment that are in ALARM, or why they are unknown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Alarms {
    /// `<env>-`: every alarm of `infra/template.yaml` is named so.
    pub name_prefix: String,
    pub available: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unavailable: Option<String>,
    pub in_alarm: Vec<Alarm>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Alarm {
    pub name: String,
    /// The template's description says what to do.
    pub description: Option<String>,
    pub reason: Option<String>,
    /// When it went into ALARM.
    #[serde(with = "iso8601::optional")]
    pub since: Option<DateTime<Utc>>,
}

/// A queue's `ApproximateAgeOfOldestMessage`: its latest minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricAge {
    pub seconds: i64,
    pub at: DateTime<Utc>,
}

/// The alarms named `<name_prefix>…` that are in ALARM, oldest first.
pub async fn alarms_in_alarm(client: &Client, name_prefix: &str) -> Alarms {
    let read = describe_in_alarm(client, name_prefix).await;
    Alarms {
        name_prefix: name_prefix.to_owned(),
        available: read.is_ok(),
        in_alarm: read.as_ref().cloned().unwrap_or_default(),
        unavailable: read.err(),
    }
}

async fn describe_in_alarm(client: &Client, name_prefix: &str) -> Result<Vec<Alarm>, String> {
    let mut pages = client
        .describe_alarms()
        .alarm_name_prefix(name_prefix)
        .state_value(StateValue::Alarm)
        // Without them, AWS answers with metric alarms only.
        .alarm_types(AlarmType::MetricAlarm)
        .alarm_types(AlarmType::CompositeAlarm)
        .into_paginator()
        .send();
    let mut alarms = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| error_chain(&backend_error("CloudWatch.DescribeAlarms", e)))?;
        let metric = page.metric_alarms().iter().map(|a| {
            let fields = (a.alarm_name(), a.alarm_description(), a.state_reason());
            (a.state_value(), fields, a.state_updated_timestamp())
        });
        let composite = page.composite_alarms().iter().map(|a| {
            let fields = (a.alarm_name(), a.alarm_description(), a.state_reason());
            (a.state_value(), fields, a.state_updated_timestamp())
        });
        // Checked again: moto answers a prefix with every state, whatever `StateValue` asked.
        for (state, (name, description, reason), since) in metric.chain(composite) {
            if state == Some(&StateValue::Alarm) {
                alarms.push(Alarm {
                    name: name.unwrap_or("(unnamed)").to_owned(),
                    description: description.map(str::to_owned),
                    reason: reason.map(str::to_owned),
                    since: since.and_then(chrono_time),
                });
            }
        }
    }
    alarms.sort_by(|a, b| (a.since, &a.name).cmp(&(b.since, &b.name)));
    Ok(alarms)
}

/// The latest `ApproximateAgeOfOldestMessage` of each queue named, from the last
/// 15 minutes (a queue without one is left out), or why CloudWatch could not be read.
pub async fn oldest_message_ages(
    client: &Client,
    queue_names: &[String],
    now: DateTime<Utc>,
) -> Result<HashMap<String, MetricAge>, String> {
    if queue_names.is_empty() {
        return Ok(HashMap::new());
    }
    let queries = queue_names.iter().enumerate().map(|(i, name)| {
        let metric = Metric::builder()
            .namespace("AWS/SQS")
            .metric_name("ApproximateAgeOfOldestMessage")
            .dimensions(Dimension::builder().name("QueueName").value(name).build())
            .build();
        let stat = MetricStat::builder()
            .metric(metric)
            .period(60)
            .stat("Maximum")
            .build();
        MetricDataQuery::builder()
            .id(format!("q{i}"))
            .metric_stat(stat)
            .return_data(true)
            .build()
    });
    let start = now - Duration::minutes(METRIC_WINDOW_MINUTES);
    let output = client
        .get_metric_data()
        .set_metric_data_queries(Some(queries.collect()))
        .start_time(AwsTime::from(SystemTime::from(start)))
        .end_time(AwsTime::from(SystemTime::from(now)))
        .scan_by(ScanBy::TimestampDescending)
        .send()
        .await
        .map_err(|e| error_chain(&backend_error("CloudWatch.GetMetricData", e)))?;
    let mut ages = HashMap::new();
    for result in output.metric_data_results() {
        let i = result
            .id()
            .and_then(|id| id.strip_prefix('q')?.parse::<usize>().ok());
        // Newest first: the first point is the latest minute.
        let latest = result.values().iter().zip(result.timestamps()).next();
        if let (Some(name), Some((value, at))) = (i.and_then(|i| queue_names.get(i)), latest) {
            let at = chrono_time(at).unwrap_or(now);
            let seconds = value.round() as i64;
            ages.insert(name.clone(), MetricAge { seconds, at });
        }
    }
    Ok(ages)
}

fn chrono_time(at: &AwsTime) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(at.secs(), at.subsec_nanos())
}
