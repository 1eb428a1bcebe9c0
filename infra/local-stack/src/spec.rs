//! What the local stack consists of: the template's data-plane resources,
//! read by serde from their resolved CloudFormation properties.

use std::collections::BTreeMap;

pub use adapters::RedrivePolicy;
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{json, Value as Json};

use crate::intrinsics::text_of;

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

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Template {
    pub tables: Vec<TableSpec>,
    pub topics: Vec<TopicSpec>,
    pub queues: Vec<QueueSpec>,
    pub subscriptions: Vec<SubscriptionSpec>,
    /// For running their binaries as Lambda would (moto cannot run them).
    pub functions: Vec<FunctionSpec>,
    /// If the template declares the `SenderEmail` parameter.
    pub sender_email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TableSpec {
    #[serde(skip)]
    pub logical_id: String,
    #[serde(rename = "TableName")]
    pub name: String,
    pub billing_mode: Option<String>,
    /// Attribute name → type (`S`, `N`, `B`).
    #[serde(rename = "AttributeDefinitions", deserialize_with = "attribute_types")]
    pub attributes: BTreeMap<String, String>,
    #[serde(rename = "KeySchema", deserialize_with = "key_schema")]
    pub key: KeySchema,
    #[serde(rename = "GlobalSecondaryIndexes", default)]
    pub global_indexes: Vec<IndexSpec>,
    #[serde(rename = "TimeToLiveSpecification", default, deserialize_with = "ttl")]
    pub ttl_attribute: Option<String>,
    #[serde(rename = "PointInTimeRecoverySpecification", default)]
    #[serde(deserialize_with = "enabled")]
    pub point_in_time_recovery: bool,
    #[serde(rename = "SSESpecification", default, deserialize_with = "enabled")]
    pub sse: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySchema {
    pub hash: String,
    pub range: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct IndexSpec {
    #[serde(rename = "IndexName")]
    pub name: String,
    #[serde(rename = "KeySchema", deserialize_with = "key_schema")]
    pub key: KeySchema,
    /// `ProjectionType` (CloudFormation's default `KEYS_ONLY`).
    #[serde(rename = "Projection", deserialize_with = "projection_type")]
    pub projection: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TopicSpec {
    #[serde(skip)]
    pub logical_id: String,
    #[serde(rename = "TopicName")]
    pub name: String,
    #[serde(skip)]
    pub arn: String,
    #[serde(flatten, deserialize_with = "attributes")]
    pub attributes: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct QueueSpec {
    #[serde(skip)]
    pub logical_id: String,
    #[serde(rename = "QueueName")]
    pub name: String,
    #[serde(skip)]
    pub arn: String,
    /// Scalar SQS attributes as the API names them (`VisibilityTimeout`, …).
    #[serde(flatten, deserialize_with = "attributes")]
    pub attributes: BTreeMap<String, String>,
    #[serde(rename = "RedrivePolicy", default, deserialize_with = "policy")]
    pub redrive: Option<RedrivePolicy>,
    #[serde(rename = "RedriveAllowPolicy", default, deserialize_with = "policy")]
    pub redrive_allow: Option<RedriveAllowPolicy>,
    /// The access policy from the `AWS::SQS::QueuePolicy` naming this queue.
    #[serde(skip)]
    pub policy: Option<Json>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RedriveAllowPolicy {
    pub redrive_permission: String,
    #[serde(default)]
    pub source_queue_arns: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SubscriptionSpec {
    #[serde(skip)]
    pub logical_id: String,
    pub topic_arn: String,
    pub protocol: String,
    pub endpoint: String,
    #[serde(flatten, deserialize_with = "attributes")]
    pub attributes: BTreeMap<String, String>,
}

/// A serverless function: what Lambda would give its binary.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct FunctionSpec {
    #[serde(skip)]
    pub logical_id: String,
    #[serde(rename = "FunctionName")]
    pub name: String,
    /// `MemorySize` in MB (Lambda's default 128).
    #[serde(rename = "MemorySize", default = "lambda_default_memory")]
    pub memory_size: u64,
    /// `Environment.Variables`, resolved, by name.
    #[serde(rename = "Environment", default, deserialize_with = "variables")]
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

impl QueueSpec {
    /// Every attribute as `SetQueueAttributes` takes it, the policies as JSON text.
    pub fn all_attributes(&self) -> BTreeMap<String, String> {
        let mut all = self.attributes.clone();
        if let Some(redrive) = &self.redrive {
            all.insert("RedrivePolicy".to_owned(), redrive.to_attribute());
        }
        if let Some(allow) = &self.redrive_allow {
            all.insert("RedriveAllowPolicy".to_owned(), json!(allow).to_string());
        }
        if let Some(policy) = &self.policy {
            all.insert("Policy".to_owned(), policy.to_string());
        }
        all
    }
}

fn key_schema<'de, D: Deserializer<'de>>(d: D) -> Result<KeySchema, D::Error> {
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Element {
        attribute_name: String,
        key_type: String,
    }
    let keys = Vec::<Element>::deserialize(d)?;
    let find = |kind: &str| keys.iter().find(|k| k.key_type == kind);
    let name = |k: &Element| k.attribute_name.clone();
    let hash = name(find("HASH").ok_or(D::Error::custom("no HASH key"))?);
    let range = find("RANGE").map(name);
    Ok(KeySchema { hash, range })
}

fn attribute_types<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Definition {
        attribute_name: String,
        attribute_type: String,
    }
    let definitions = Vec::<Definition>::deserialize(d)?.into_iter();
    let definitions = definitions.map(|a| (a.attribute_name, a.attribute_type));
    Ok(definitions.collect())
}

fn projection_type<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    struct Projection {
        #[serde(rename = "ProjectionType")]
        kind: Option<String>,
    }
    let kind = Projection::deserialize(d)?.kind;
    Ok(kind.unwrap_or_else(|| "KEYS_ONLY".to_owned()))
}

fn ttl<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Ttl {
        attribute_name: String,
        enabled: bool,
    }
    let ttl = Ttl::deserialize(d)?;
    Ok(ttl.enabled.then_some(ttl.attribute_name))
}

/// A specification's `…Enabled` switch: `PointInTimeRecoveryEnabled`, `SSEEnabled`.
fn enabled<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    let mut specification = BTreeMap::<String, Json>::deserialize(d)?.into_iter();
    match specification.find(|(key, _)| key.ends_with("Enabled")) {
        Some((_, Json::Bool(on))) => Ok(on),
        Some((key, other)) => Err(D::Error::custom(format!("{key} is not a boolean: {other}"))),
        None => Ok(false),
    }
}

/// CloudFormation accepts a policy as a mapping or as a JSON string.
fn policy<'de, D: Deserializer<'de>, T: DeserializeOwned>(d: D) -> Result<Option<T>, D::Error> {
    let policy = match Json::deserialize(d)? {
        Json::String(text) => serde_json::from_str(&text),
        policy => serde_json::from_value(policy),
    };
    policy.map(Some).map_err(D::Error::custom)
}

/// The other properties as API attributes: `true`, `360`, or JSON text (as SNS
/// takes a subscription's `RedrivePolicy`). `Tags` (for the bill, not behaviour)
/// and a subscription's `Region` (where it is made) are left off.
fn attributes<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, String>, D::Error> {
    let mut out = BTreeMap::new();
    for (key, value) in BTreeMap::<String, Json>::deserialize(d)? {
        match (key.as_str(), value) {
            ("Tags" | "Region", _) => {}
            ("Subscription", _) => {
                let message = "an inline Subscription is not supported; use AWS::SNS::Subscription";
                return Err(D::Error::custom(message));
            }
            (_, Json::Null) => return Err(D::Error::custom(format!("{key} has no value"))),
            (_, value) => {
                out.insert(key, text_of(&value));
            }
        }
    }
    Ok(out)
}

fn lambda_default_memory() -> u64 {
    128
}

fn variables<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(String, String)>, D::Error> {
    #[derive(Deserialize)]
    struct Environment {
        #[serde(rename = "Variables", default)]
        variables: BTreeMap<String, Json>,
    }
    let variables = Environment::deserialize(d)?.variables.into_iter();
    Ok(variables
        .map(|(name, value)| (name, text_of(&value)))
        .collect())
}
