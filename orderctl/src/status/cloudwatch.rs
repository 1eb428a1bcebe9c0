//! What `status` asks CloudWatch: the environment's alarms in ALARM, and the
//! age of the work queues' oldest messages (SQS's own metric).
//!
//! CloudWatch is read, never needed: where it cannot be read (no
//! `cloudwatch:DescribeAlarms` for the profile, an endpoint without it) the
//! screen says so and shows the rest.

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

/// How far back a work queue's age metric is looked for. SQS sends it every
/// minute for a queue in use, and CloudWatch shows it a few minutes later.
const METRIC_WINDOW_MINUTES: i64 = 15;

/// The alarms of the environment that are in ALARM, or why they are unknown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Alarms {
    /// `<env>-`: every alarm of `infra/template.yaml` is named so.
    pub name_prefix: String,
    /// Whether CloudWatch answered.
    pub available: bool,
    /// Why CloudWatch could not be read, when it could not.
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
    pub since: Option<String>,
    #[serde(skip)]
    pub since_at: Option<DateTime<Utc>>,
}

/// A queue's `ApproximateAgeOfOldestMessage`: its latest minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricAge {
    pub seconds: i64,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct CloudWatch {
    client: Client,
}

impl CloudWatch {
    pub fn new(client: Client) -> CloudWatch {
        CloudWatch { client }
    }

    /// The alarms named `<name_prefix>…` that are in ALARM, oldest first.
    pub async fn alarms_in_alarm(&self, name_prefix: &str) -> Alarms {
        match self.describe_in_alarm(name_prefix).await {
            Ok(in_alarm) => Alarms {
                name_prefix: name_prefix.to_owned(),
                available: true,
                unavailable: None,
                in_alarm,
            },
            Err(reason) => Alarms {
                name_prefix: name_prefix.to_owned(),
                available: false,
                unavailable: Some(reason),
                in_alarm: Vec::new(),
            },
        }
    }

    async fn describe_in_alarm(&self, name_prefix: &str) -> Result<Vec<Alarm>, String> {
        let mut alarms = Vec::new();
        let mut next_token = None;
        loop {
            let page = self
                .client
                .describe_alarms()
                .alarm_name_prefix(name_prefix)
                .state_value(StateValue::Alarm)
                // Without them, AWS answers with metric alarms only.
                .alarm_types(AlarmType::MetricAlarm)
                .alarm_types(AlarmType::CompositeAlarm)
                .set_next_token(next_token)
                .send()
                .await
                .map_err(|e| error_chain(&backend_error("CloudWatch.DescribeAlarms", e)))?;
            // The state is checked again: moto answers a prefix with every
            // state, whatever `StateValue` asked.
            for alarm in page.metric_alarms() {
                if alarm.state_value() == Some(&StateValue::Alarm) {
                    alarms.push(Alarm::of(
                        alarm.alarm_name(),
                        alarm.alarm_description(),
                        alarm.state_reason(),
                        alarm.state_updated_timestamp(),
                    ));
                }
            }
            for alarm in page.composite_alarms() {
                if alarm.state_value() == Some(&StateValue::Alarm) {
                    alarms.push(Alarm::of(
                        alarm.alarm_name(),
                        alarm.alarm_description(),
                        alarm.state_reason(),
                        alarm.state_updated_timestamp(),
                    ));
                }
            }
            next_token = page.next_token;
            if next_token.is_none() {
                break;
            }
        }
        alarms.sort_by(|a, b| (a.since_at, &a.name).cmp(&(b.since_at, &b.name)));
        Ok(alarms)
    }

    /// The latest `ApproximateAgeOfOldestMessage` of each queue named, from
    /// the last 15 minutes; a queue without one is left out. `Err` says why
    /// CloudWatch could not be read.
    pub async fn oldest_message_ages(
        &self,
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
        let output = self
            .client
            .get_metric_data()
            .set_metric_data_queries(Some(queries.collect()))
            .start_time(aws_time(start))
            .end_time(aws_time(now))
            .scan_by(ScanBy::TimestampDescending)
            .send()
            .await
            .map_err(|e| error_chain(&backend_error("CloudWatch.GetMetricData", e)))?;
        let mut ages = HashMap::new();
        for result in output.metric_data_results() {
            let Some(i) = result
                .id()
                .and_then(|id| id.strip_prefix('q'))
                .and_then(|i| i.parse::<usize>().ok())
            else {
                continue;
            };
            // Newest first: the first point is the latest minute.
            let latest = result.values().iter().zip(result.timestamps()).next();
            if let (Some(name), Some((value, at))) = (queue_names.get(i), latest) {
                ages.insert(
                    name.clone(),
                    MetricAge {
                        seconds: value.round() as i64,
                        at: chrono_time(at).unwrap_or(now),
                    },
                );
            }
        }
        Ok(ages)
    }
}

impl Alarm {
    fn of(
        name: Option<&str>,
        description: Option<&str>,
        reason: Option<&str>,
        since: Option<&AwsTime>,
    ) -> Alarm {
        let since_at = since.and_then(chrono_time);
        Alarm {
            name: name.unwrap_or("(unnamed)").to_owned(),
            description: description.map(str::to_owned),
            reason: reason.map(str::to_owned),
            since: since_at.as_ref().map(iso8601::format),
            since_at,
        }
    }
}

fn aws_time(at: DateTime<Utc>) -> AwsTime {
    AwsTime::from(SystemTime::from(at))
}

fn chrono_time(at: &AwsTime) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(at.secs(), at.subsec_nanos())
}
