//! What the local stack consists of: the template's data-plane resources,
//! resolved to plain values. [`crate::template`] builds them; `provision`
//! creates them and `verify` checks them.

use std::collections::BTreeMap;

pub use adapters::RedrivePolicy;
use serde_json::Value as Json;

/// The values the template's parameters and pseudo parameters take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Params {
    /// The `Environment` parameter: the prefix of every name.
    pub environment: String,
    /// The `SenderEmail` parameter: the SES identity to verify.
    pub sender_email: String,
    pub region: String,
    pub account_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub tables: Vec<TableSpec>,
    pub topics: Vec<TopicSpec>,
    pub queues: Vec<QueueSpec>,
    pub subscriptions: Vec<SubscriptionSpec>,
    /// The functions, for running their binaries as Lambda would (the local
    /// stack creates none: moto cannot run them).
    pub functions: Vec<FunctionSpec>,
    /// The `SenderEmail` parameter's value, if the template declares it.
    pub sender_email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySchema {
    pub hash: String,
    pub range: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexSpec {
    pub name: String,
    pub key: KeySchema,
    pub projection: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSpec {
    pub logical_id: String,
    pub name: String,
    pub billing_mode: Option<String>,
    /// Attribute name → type (`S`, `N`, `B`).
    pub attributes: BTreeMap<String, String>,
    pub key: KeySchema,
    pub global_indexes: Vec<IndexSpec>,
    /// The TTL attribute, when TTL is enabled.
    pub ttl_attribute: Option<String>,
    pub point_in_time_recovery: bool,
    pub sse: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicSpec {
    pub logical_id: String,
    pub name: String,
    pub arn: String,
    /// SNS topic attributes as the API names them (`DisplayName`, …).
    pub attributes: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedriveAllowPolicy {
    pub redrive_permission: String,
    pub source_queue_arns: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueSpec {
    pub logical_id: String,
    pub name: String,
    pub arn: String,
    /// Scalar SQS attributes as the API names them (`VisibilityTimeout`, …).
    pub attributes: BTreeMap<String, String>,
    pub redrive: Option<RedrivePolicy>,
    pub redrive_allow: Option<RedriveAllowPolicy>,
    /// The access policy from the `AWS::SQS::QueuePolicy` naming this queue.
    pub policy: Option<Json>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionSpec {
    pub logical_id: String,
    pub topic_arn: String,
    pub protocol: String,
    pub endpoint: String,
    /// Subscription attributes as the API names them (`RawMessageDelivery`, …).
    pub attributes: BTreeMap<String, String>,
}

/// An `AWS::Lambda::Function`: what Lambda would give its binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionSpec {
    pub logical_id: String,
    /// `FunctionName`.
    pub name: String,
    /// `MemorySize` in MB (Lambda's default 128).
    pub memory_size: u64,
    /// `Environment.Variables`, resolved, by name.
    pub variables: Vec<(String, String)>,
}

impl Template {
    pub fn table(&self, logical_id: &str) -> Option<&TableSpec> {
        self.tables.iter().find(|t| t.logical_id == logical_id)
    }

    pub fn topic(&self, logical_id: &str) -> Option<&TopicSpec> {
        self.topics.iter().find(|t| t.logical_id == logical_id)
    }

    pub fn queue(&self, logical_id: &str) -> Option<&QueueSpec> {
        self.queues.iter().find(|q| q.logical_id == logical_id)
    }

    pub fn function(&self, logical_id: &str) -> Option<&FunctionSpec> {
        self.functions.iter().find(|f| f.logical_id == logical_id)
    }
}
