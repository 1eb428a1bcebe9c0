//! The template against what exists: every disagreement, none hidden. Each
//! resource is a set of named properties, a JSON policy compared leaf by leaf
//! (`3` = `"3"`, `["x"]` = `"x"`, as IAM and SQS read them).

use std::collections::{BTreeMap, BTreeSet};

use adapters::config::arn_name;
use serde_json::Value as Json;

use crate::intrinsics::text_of;
use crate::spec::{KeySchema, SubscriptionSpec, TableSpec, Template};

type Properties = BTreeMap<String, String>;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{resource}: {property}: the template says {expected}, found {found}")]
pub struct Difference {
    /// `queue local-OrderEmailQueue`, `table local-Orders`, …
    pub resource: String,
    /// `RedrivePolicy.maxReceiveCount`, `GlobalSecondaryIndexes.OrderIdIndex`, …
    pub property: String,
    pub expected: String,
    pub found: String,
}

/// What the endpoint holds of the template's resources. Absent means missing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Observed {
    /// Table name → the table as it is, in the template's shape.
    pub tables: BTreeMap<String, TableSpec>,
    /// Topic ARN → its attributes.
    pub topics: BTreeMap<String, BTreeMap<String, String>>,
    /// Queue name → every attribute `GetQueueAttributes(All)` reports.
    pub queues: BTreeMap<String, BTreeMap<String, String>>,
    /// Every subscription of the template's topics (without a logical id).
    pub subscriptions: Vec<SubscriptionSpec>,
    pub verified_identities: BTreeSet<String>,
}

/// Attributes moto 5.2 accepts but never reports back (a queue's and a topic's):
/// unreported, [`unchecked`] names them; reported, they are compared.
const UNREPORTED: &[&str] = &["RedriveAllowPolicy", "TracingConfig"];

/// Every disagreement between `template` and `observed`; empty when they agree.
pub fn compare(template: &Template, observed: &Observed) -> Vec<Difference> {
    let mut out = Vec::new();
    let mut differ_in = |resource: String, property: &str, expected: &str, found: &str| {
        out.push(Difference {
            resource,
            property: property.to_owned(),
            expected: expected.to_owned(),
            found: found.to_owned(),
        });
    };
    for Resource(kind, name, mut expected, found) in resources(template, observed) {
        let mut differ = |property: &str, expected: &str, found: &str| {
            differ_in(format!("{kind} {name}"), property, expected, found);
        };
        let Some(found) = found else {
            differ("existence", &format!("a {kind}"), "nothing (missing)");
            continue;
        };
        expected.retain(|name, _| found.contains_key(name) || !UNREPORTED.contains(&name.as_str()));
        if let Some(limit) = expected.remove("VisibilityTimeout") {
            let actual = found.get("VisibilityTimeout").map_or("nothing", |a| a);
            if !matches!((actual.parse::<u32>(), limit.parse::<u32>()), (Ok(a), Ok(l)) if a <= l) {
                let expected = format!("{limit} (or shorter, locally)");
                differ("VisibilityTimeout", &expected, actual);
            }
        }
        // What the template does not declare must not be there either: a
        // table's keys, attributes and indexes, a queue's policies.
        let policies = ["RedrivePolicy", "RedriveAllowPolicy", "Policy"];
        let tracked = |name: &str| kind == "table" || (kind == "queue" && policies.contains(&name));
        diff(&expected, &found, &tracked, &mut differ);
    }
    for found in &observed.subscriptions {
        if !template.subscriptions.iter().any(|s| declares(s, found)) {
            let topic = format!("topic {}", arn_name(&found.topic_arn));
            let endpoint = format!("{} → {}", found.protocol, found.endpoint);
            differ_in(topic, "subscription", "none", &endpoint);
        }
    }
    if let Some(sender) = &template.sender_email {
        if !observed.verified_identities.contains(sender) {
            let identity = format!("SES identity {sender}");
            differ_in(identity, "verification", "Success", "not verified");
        }
    }
    out
}

/// What [`compare`] could not check because the endpoint does not report it.
pub fn unchecked(template: &Template, observed: &Observed) -> Vec<String> {
    let mut notes = Vec::new();
    for Resource(kind, name, expected, found) in resources(template, observed) {
        let Some(found) = found else { continue };
        for unreported in UNREPORTED {
            if expected.contains_key(*unreported) && !found.contains_key(*unreported) {
                let why = "the endpoint does not report it";
                notes.push(format!("{kind} {name}: {unreported} ({why})"));
            }
        }
    }
    notes
}

fn declares(spec: &SubscriptionSpec, found: &SubscriptionSpec) -> bool {
    (&spec.topic_arn, &spec.protocol, &spec.endpoint)
        == (&found.topic_arn, &found.protocol, &found.endpoint)
}

/// A resource of the template as named properties: its kind (`queue`), its
/// name, what the template says, and what the endpoint holds if it exists.
struct Resource(&'static str, String, Properties, Option<Properties>);

fn resources(template: &Template, observed: &Observed) -> Vec<Resource> {
    let tables = template.tables.iter().map(|t| {
        let found = observed.tables.get(&t.name).map(table_properties);
        Resource("table", t.name.clone(), table_properties(t), found)
    });
    let topics = template.topics.iter().map(|t| {
        let found = observed.topics.get(&t.arn).cloned();
        Resource("topic", t.name.clone(), t.attributes.clone(), found)
    });
    let queues = template.queues.iter().map(|q| {
        let found = observed.queues.get(&q.name).cloned();
        Resource("queue", q.name.clone(), q.all_attributes(), found)
    });
    let subscriptions = template.subscriptions.iter().map(|s| {
        let found = observed.subscriptions.iter().find(|f| declares(s, f));
        let found = found.map(|f| f.attributes.clone());
        let (topic, endpoint) = (arn_name(&s.topic_arn), arn_name(&s.endpoint));
        let name = format!("{} ({topic} → {endpoint})", s.logical_id);
        Resource("subscription", name, s.attributes.clone(), found)
    });
    let resources = tables.chain(topics).chain(queues);
    resources.chain(subscriptions).collect()
}

/// A table as named properties (`KeySchema`, `GlobalSecondaryIndexes.OrderIdIndex`, …).
fn table_properties(table: &TableSpec) -> Properties {
    let keys = |key: &KeySchema| match &key.range {
        Some(range) => format!("HASH {}, RANGE {range}", key.hash),
        None => format!("HASH {}", key.hash),
    };
    let on = |b: bool| if b { "enabled" } else { "disabled" };
    // CloudFormation's default billing mode, and what DynamoDB reports without one.
    let billing_mode = table.billing_mode.as_deref().unwrap_or("PROVISIONED");
    let ttl = table.ttl_attribute.as_deref().unwrap_or("disabled");
    let pitr = on(table.point_in_time_recovery);
    let mut properties = Properties::from([
        ("BillingMode".into(), billing_mode.into()),
        ("KeySchema".into(), keys(&table.key)),
        ("TimeToLive".into(), ttl.into()),
        ("PointInTimeRecovery".into(), pitr.into()),
        ("SSE".into(), on(table.sse).into()),
    ]);
    for (name, kind) in &table.attributes {
        properties.insert(format!("AttributeDefinitions.{name}"), kind.clone());
    }
    for index in &table.global_indexes {
        let value = format!("{}, projection {}", keys(&index.key), index.projection);
        properties.insert(format!("GlobalSecondaryIndexes.{}", index.name), value);
    }
    properties
}

/// Each disagreement goes to `differ`; one only `found` has, if `tracked`.
fn diff(
    expected: &Properties,
    found: &Properties,
    tracked: &dyn Fn(&str) -> bool,
    differ: &mut dyn FnMut(&str, &str, &str),
) {
    for (name, value) in expected {
        let Some(actual) = found.get(name) else {
            differ(name, value, "nothing");
            continue;
        };
        match (document(name, value), document(name, actual)) {
            (Some(value), Some(actual)) => diff(&value, &actual, &|_| true, differ),
            _ if same(value, actual) => {}
            _ => differ(name, value, actual),
        }
    }
    for (name, actual) in found {
        if !expected.contains_key(name) && tracked(name) {
            differ(name, "none", actual);
        }
    }
}

/// `true` in YAML, `true` or `True` from an endpoint.
fn same(expected: &str, found: &str) -> bool {
    let boolean = matches!(expected.to_ascii_lowercase().as_str(), "true" | "false");
    expected == found || (boolean && expected.eq_ignore_ascii_case(found))
}

/// A JSON document's leaves, named from `name` (`RedrivePolicy.maxReceiveCount`).
fn document(name: &str, text: &str) -> Option<Properties> {
    let value: Json = serde_json::from_str(text).ok().filter(Json::is_object)?;
    let mut leaves = Properties::new();
    flatten(name.to_owned(), &value, &mut leaves);
    Some(leaves)
}

/// A list of scalars is a set (sorted); a list of one is its item.
fn flatten(path: String, value: &Json, leaves: &mut Properties) {
    match value {
        Json::Object(map) => {
            for (key, value) in map {
                flatten(format!("{path}.{key}"), value, leaves);
            }
        }
        Json::Array(items) if items.len() == 1 => flatten(path, &items[0], leaves),
        Json::Array(items) if items.iter().any(|i| i.is_object() || i.is_array()) => {
            for (i, item) in items.iter().enumerate() {
                flatten(format!("{path}[{i}]"), item, leaves);
            }
        }
        Json::Array(items) => {
            let mut items: Vec<_> = items.iter().map(text_of).collect();
            items.sort();
            leaves.insert(path, items.join(", "));
        }
        other => {
            leaves.insert(path, text_of(other));
        }
    }
}
