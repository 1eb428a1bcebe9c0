//! CloudFormation resource properties (already resolved to JSON) → specs.
//!
//! The shapes mirror the CloudFormation reference; properties the local stack
//! does not model are ignored for tables and refused for queues, where an
//! unknown one would otherwise be silently dropped.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value as Json;
use serde_yaml_ng::Value as Yaml;

use crate::intrinsics::{Resolver, TemplateError};
use crate::spec::{
    FunctionSpec, IndexSpec, KeySchema, QueueSpec, RedriveAllowPolicy, RedrivePolicy,
    SubscriptionSpec, TableSpec,
};

pub(crate) fn object(
    value: Json,
    at: &str,
) -> Result<serde_json::Map<String, Json>, TemplateError> {
    match value {
        Json::Object(map) => Ok(map),
        _ => Err(TemplateError::new(at, "expected a mapping")),
    }
}

/// The API's string form of a property: `true`, `360`, or compact JSON.
fn api_string(value: &Json) -> String {
    match value {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Every property except `skip`, as API attributes.
pub(crate) fn attributes(
    props: serde_json::Map<String, Json>,
    skip: &[&str],
    at: &str,
) -> Result<BTreeMap<String, String>, TemplateError> {
    let mut out = BTreeMap::new();
    for (key, value) in props {
        if skip.contains(&key.as_str()) {
            continue;
        }
        if value.is_null() {
            return Err(TemplateError::new(format!("{at}.{key}"), "has no value"));
        }
        out.insert(key, api_string(&value));
    }
    Ok(out)
}

fn from_json<T: serde::de::DeserializeOwned>(value: Json, at: &str) -> Result<T, TemplateError> {
    serde_json::from_value(value).map_err(|e| TemplateError::new(at, e.to_string()))
}

/// CloudFormation accepts a policy as a mapping or as a JSON string.
fn json_policy(value: Json, at: &str) -> Result<Json, TemplateError> {
    match value {
        Json::String(text) => {
            serde_json::from_str(&text).map_err(|e| TemplateError::new(at, e.to_string()))
        }
        other => Ok(other),
    }
}

/// `true`, `"true"`, `3`, `"3"`: CloudFormation accepts either spelling.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Loose<T> {
    Value(T),
    Text(String),
}

impl<T: std::str::FromStr> Loose<T> {
    fn get(self, at: &str) -> Result<T, TemplateError> {
        match self {
            Loose::Value(v) => Ok(v),
            Loose::Text(s) => s
                .parse()
                .map_err(|_| TemplateError::new(at, format!("unexpected value {s:?}"))),
        }
    }
}

pub(crate) fn table(id: &str, props: Json, at: &str) -> Result<TableSpec, TemplateError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Cfn {
        table_name: String,
        billing_mode: Option<String>,
        attribute_definitions: Vec<Attribute>,
        key_schema: Vec<Key>,
        #[serde(default)]
        global_secondary_indexes: Vec<Index>,
        time_to_live_specification: Option<Ttl>,
        point_in_time_recovery_specification: Option<Pitr>,
        #[serde(rename = "SSESpecification")]
        sse_specification: Option<Sse>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Attribute {
        attribute_name: String,
        attribute_type: String,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Key {
        attribute_name: String,
        key_type: String,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Index {
        index_name: String,
        key_schema: Vec<Key>,
        projection: Projection,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Projection {
        projection_type: Option<String>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Ttl {
        attribute_name: String,
        enabled: Loose<bool>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Pitr {
        point_in_time_recovery_enabled: Loose<bool>,
    }
    #[derive(Deserialize)]
    struct Sse {
        #[serde(rename = "SSEEnabled")]
        enabled: Loose<bool>,
    }
    let key_schema = |keys: Vec<Key>, at: &str| -> Result<KeySchema, TemplateError> {
        let find = |kind: &str| {
            keys.iter()
                .find(|k| k.key_type == kind)
                .map(|k| k.attribute_name.clone())
        };
        let hash = find("HASH").ok_or_else(|| TemplateError::new(at, "no HASH key"))?;
        Ok(KeySchema {
            hash,
            range: find("RANGE"),
        })
    };

    let cfn: Cfn = from_json(props, at)?;
    let global_indexes = cfn
        .global_secondary_indexes
        .into_iter()
        .map(|index| {
            let at = format!("{at}.GlobalSecondaryIndexes.{}", index.index_name);
            Ok(IndexSpec {
                key: key_schema(index.key_schema, &at)?,
                projection: index
                    .projection
                    .projection_type
                    .unwrap_or_else(|| "KEYS_ONLY".to_owned()),
                name: index.index_name,
            })
        })
        .collect::<Result<_, TemplateError>>()?;
    let ttl_attribute = match cfn.time_to_live_specification {
        Some(ttl) => ttl.enabled.get(at)?.then_some(ttl.attribute_name),
        None => None,
    };
    Ok(TableSpec {
        logical_id: id.to_owned(),
        name: cfn.table_name,
        billing_mode: cfn.billing_mode,
        attributes: cfn
            .attribute_definitions
            .into_iter()
            .map(|a| (a.attribute_name, a.attribute_type))
            .collect(),
        key: key_schema(cfn.key_schema, at)?,
        global_indexes,
        ttl_attribute,
        point_in_time_recovery: match cfn.point_in_time_recovery_specification {
            Some(p) => p.point_in_time_recovery_enabled.get(at)?,
            None => false,
        },
        sse: match cfn.sse_specification {
            Some(s) => s.enabled.get(at)?,
            None => false,
        },
    })
}

pub(crate) fn queue(
    id: &str,
    name: String,
    arn: String,
    props: Json,
    at: &str,
) -> Result<QueueSpec, TemplateError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct RedriveAllow {
        redrive_permission: String,
        #[serde(default)]
        source_queue_arns: Vec<String>,
    }
    let mut props = object(props, at)?;
    let redrive = match props.remove("RedrivePolicy") {
        Some(value) => {
            let at = format!("{at}.RedrivePolicy");
            let policy = RedrivePolicy::from_json(json_policy(value, &at)?);
            Some(policy.map_err(|e| TemplateError::new(&at, e.0))?)
        }
        None => None,
    };
    let redrive_allow = match props.remove("RedriveAllowPolicy") {
        Some(value) => {
            let at = format!("{at}.RedriveAllowPolicy");
            let r: RedriveAllow = from_json(json_policy(value, &at)?, &at)?;
            Some(RedriveAllowPolicy {
                redrive_permission: r.redrive_permission,
                source_queue_arns: r.source_queue_arns,
            })
        }
        None => None,
    };
    // Tags are for the bill and the console, not the queue's behaviour:
    // the local stack leaves them off.
    props.remove("Tags");
    if let Some((key, _)) = props.iter().find(|(_, v)| v.is_object() || v.is_array()) {
        return Err(TemplateError::new(
            format!("{at}.{key}"),
            "not a queue attribute the local stack knows",
        ));
    }
    Ok(QueueSpec {
        logical_id: id.to_owned(),
        name,
        arn,
        attributes: attributes(props, &["QueueName", "Tags"], at)?,
        redrive,
        redrive_allow,
        policy: None,
    })
}

pub(crate) fn subscription(
    id: &str,
    mut props: serde_json::Map<String, Json>,
    at: &str,
) -> Result<SubscriptionSpec, TemplateError> {
    let mut take = |key: &str| match props.remove(key) {
        Some(Json::String(s)) => Ok(s),
        _ => Err(TemplateError::new(
            format!("{at}.{key}"),
            "missing or not a string",
        )),
    };
    let topic_arn = take("TopicArn")?;
    let protocol = take("Protocol")?;
    let endpoint = take("Endpoint")?;
    Ok(SubscriptionSpec {
        logical_id: id.to_owned(),
        topic_arn,
        protocol,
        endpoint,
        attributes: attributes(props, &["Region"], at)?,
    })
}

/// A `QueuePolicy`'s `Queues` entry: `!Ref Queue` (its URL) or `!GetAtt Queue.QueueUrl`.
pub(crate) fn queue_ref(value: &Yaml, at: &str) -> Result<String, TemplateError> {
    let (function, arg) = match value {
        Yaml::Tagged(t) => (
            t.tag.to_string().trim_start_matches('!').to_owned(),
            &t.value,
        ),
        Yaml::Mapping(m) if m.len() == 1 => match m.iter().next() {
            Some((Yaml::String(k), v)) => (k.trim_start_matches("Fn::").to_owned(), v),
            _ => return Err(TemplateError::new(at, "expected !Ref <queue>")),
        },
        _ => return Err(TemplateError::new(at, "expected !Ref <queue>")),
    };
    let target = match (function.as_str(), arg) {
        ("Ref", Yaml::String(id)) => Some(id.clone()),
        ("GetAtt", Yaml::String(s)) => s.strip_suffix(".QueueUrl").map(str::to_owned),
        _ => None,
    };
    target
        .ok_or_else(|| TemplateError::new(at, "expected !Ref <queue> or !GetAtt <queue>.QueueUrl"))
}

/// An `AWS::Lambda::Function` with a `FunctionName`: only what running its
/// binary needs is resolved (its role, code and alarms are AWS's business).
/// One without a name is not run locally, so it is left out.
pub(crate) fn function(
    resolver: &Resolver,
    id: &str,
    props: &Yaml,
    at: &str,
) -> Result<Option<FunctionSpec>, TemplateError> {
    let Some(name) = props.get("FunctionName") else {
        return Ok(None);
    };
    let memory_size = match props.get("MemorySize") {
        Some(size) => match resolver.resolve(size, &format!("{at}.MemorySize"))? {
            Json::Number(n) => n.as_u64(),
            Json::String(s) => s.parse().ok(),
            _ => None,
        }
        .ok_or_else(|| TemplateError::new(format!("{at}.MemorySize"), "not a number"))?,
        None => 128,
    };
    let at_variables = format!("{at}.Environment.Variables");
    let variables = match props.get("Environment").and_then(|e| e.get("Variables")) {
        Some(variables) => match resolver.resolve(variables, &at_variables)? {
            Json::Object(map) => map
                .into_iter()
                .map(|(name, value)| (name, api_string(&value)))
                .collect(),
            _ => return Err(TemplateError::new(at_variables, "expected a mapping")),
        },
        None => Vec::new(),
    };
    Ok(Some(FunctionSpec {
        logical_id: id.to_owned(),
        name: resolver.string(name, &format!("{at}.FunctionName"))?,
        memory_size,
        variables,
    }))
}
