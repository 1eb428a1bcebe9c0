//! The template against what exists: every disagreement, none hidden.
//!
//! One rule is loose on purpose: a queue's `VisibilityTimeout` may be shorter
//! than the template's (local runs shorten it so retries take seconds), never longer.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use crate::observed::{
    Difference, Observed, ObservedTable, UNREPORTED_LOCALLY, UNREPORTED_TOPIC_ATTRIBUTES,
};
use crate::spec::{KeySchema, QueueSpec, RedrivePolicy, TableSpec, Template};

const MISSING: &str = "nothing (missing)";

/// Every disagreement between `template` and `observed`; empty when they agree.
pub fn compare(template: &Template, observed: &Observed) -> Vec<Difference> {
    let mut out = Differences::default();
    for spec in &template.tables {
        let resource = format!("table {}", spec.name);
        let Some(found) = observed.tables.get(&spec.name) else {
            out.push(&resource, "existence", "a table", MISSING);
            continue;
        };
        compare_table(&mut out, &resource, spec, found);
    }
    for topic in &template.topics {
        let resource = format!("topic {}", topic.name);
        let Some(found) = observed.topics.get(&topic.arn) else {
            out.push(&resource, "existence", "a topic", MISSING);
            continue;
        };
        // What the endpoint never reports cannot be compared: `unchecked` says so.
        let expected: BTreeMap<String, String> = topic
            .attributes
            .iter()
            .filter(|(name, _)| {
                found.contains_key(*name) || !UNREPORTED_TOPIC_ATTRIBUTES.contains(&name.as_str())
            })
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect();
        out.attributes(&resource, &expected, found);
    }
    for queue in &template.queues {
        let resource = format!("queue {}", queue.name);
        let Some(found) = observed.queues.get(&queue.name) else {
            out.push(&resource, "existence", "a queue", MISSING);
            continue;
        };
        compare_queue(&mut out, &resource, queue, found);
    }
    compare_subscriptions(&mut out, template, observed);
    if let Some(sender) = &template.sender_email {
        if !observed.verified_identities.contains(sender) {
            out.push(
                &format!("SES identity {sender}"),
                "verification",
                "Success",
                "not verified",
            );
        }
    }
    out.0
}

/// What [`compare`] could not check because the endpoint does not report it.
pub fn unchecked(template: &Template, observed: &Observed) -> Vec<String> {
    let mut out = Vec::new();
    for topic in &template.topics {
        let Some(found) = observed.topics.get(&topic.arn) else {
            continue;
        };
        for name in UNREPORTED_TOPIC_ATTRIBUTES {
            if topic.attributes.contains_key(*name) && !found.contains_key(*name) {
                out.push(format!(
                    "topic {}: {name} (the endpoint does not report it)",
                    topic.name
                ));
            }
        }
    }
    for queue in &template.queues {
        let Some(found) = observed.queues.get(&queue.name) else {
            continue;
        };
        for name in UNREPORTED_LOCALLY {
            let declared = match *name {
                "RedriveAllowPolicy" => queue.redrive_allow.is_some(),
                other => queue.attributes.contains_key(other),
            };
            if declared && !found.contains_key(*name) {
                out.push(format!(
                    "queue {}: {name} (the endpoint does not report it)",
                    queue.name
                ));
            }
        }
    }
    out
}

#[derive(Default)]
struct Differences(Vec<Difference>);

impl Differences {
    fn push(&mut self, resource: &str, property: &str, expected: &str, found: &str) {
        self.0.push(Difference {
            resource: resource.to_owned(),
            property: property.to_owned(),
            expected: expected.to_owned(),
            found: found.to_owned(),
        });
    }

    fn check(&mut self, resource: &str, property: &str, expected: &str, found: &str) {
        if expected != found {
            self.push(resource, property, expected, found);
        }
    }

    fn attributes(
        &mut self,
        resource: &str,
        expected: &BTreeMap<String, String>,
        found: &BTreeMap<String, String>,
    ) {
        for (name, value) in expected {
            let actual = found.get(name).map_or("nothing", String::as_str);
            self.check(resource, name, value, actual);
        }
    }

    fn key(&mut self, resource: &str, prefix: &str, expected: &KeySchema, found: &KeySchema) {
        self.check(
            resource,
            &format!("{prefix}.HASH"),
            &expected.hash,
            &found.hash,
        );
        let range = |k: &KeySchema| k.range.clone().unwrap_or_else(|| "none".to_owned());
        self.check(
            resource,
            &format!("{prefix}.RANGE"),
            &range(expected),
            &range(found),
        );
    }
}

fn compare_table(out: &mut Differences, resource: &str, spec: &TableSpec, found: &ObservedTable) {
    if let Some(mode) = &spec.billing_mode {
        out.check(resource, "BillingMode", mode, &found.billing_mode);
    }
    out.key(resource, "KeySchema", &spec.key, &found.key);
    let names: std::collections::BTreeSet<_> = spec
        .attributes
        .keys()
        .chain(found.attributes.keys())
        .collect();
    for name in names {
        let kind =
            |m: &BTreeMap<String, String>| m.get(name).cloned().unwrap_or_else(|| "none".into());
        out.check(
            resource,
            &format!("AttributeDefinitions.{name}"),
            &kind(&spec.attributes),
            &kind(&found.attributes),
        );
    }
    for index in &spec.global_indexes {
        let property = format!("GlobalSecondaryIndexes.{}", index.name);
        match found.global_indexes.iter().find(|i| i.name == index.name) {
            None => out.push(resource, &property, "an index", MISSING),
            Some(actual) => {
                out.key(
                    resource,
                    &format!("{property}.KeySchema"),
                    &index.key,
                    &actual.key,
                );
                out.check(
                    resource,
                    &format!("{property}.Projection"),
                    &index.projection,
                    &actual.projection,
                );
            }
        }
    }
    for extra in &found.global_indexes {
        if !spec.global_indexes.iter().any(|i| i.name == extra.name) {
            let property = format!("GlobalSecondaryIndexes.{}", extra.name);
            out.push(resource, &property, "no such index", "an index");
        }
    }
    let ttl = |t: &Option<String>| t.clone().unwrap_or_else(|| "disabled".to_owned());
    out.check(
        resource,
        "TimeToLive",
        &ttl(&spec.ttl_attribute),
        &ttl(&found.ttl_attribute),
    );
    let on = |b: bool| if b { "enabled" } else { "disabled" };
    out.check(
        resource,
        "PointInTimeRecovery",
        on(spec.point_in_time_recovery),
        on(found.point_in_time_recovery),
    );
    out.check(resource, "SSE", on(spec.sse), on(found.sse));
}

fn compare_queue(
    out: &mut Differences,
    resource: &str,
    spec: &QueueSpec,
    found: &BTreeMap<String, String>,
) {
    let mut scalars = spec.attributes.clone();
    if let Some(limit) = scalars.remove("VisibilityTimeout") {
        let actual = found.get("VisibilityTimeout");
        let shorter = |a: &String| matches!((a.parse::<u32>(), limit.parse::<u32>()), (Ok(a), Ok(l)) if a <= l);
        if !actual.is_some_and(shorter) {
            out.push(
                resource,
                "VisibilityTimeout",
                &format!("{limit} (or shorter, locally)"),
                actual.map_or("nothing", String::as_str),
            );
        }
    }
    out.attributes(resource, &scalars, found);

    let redrive = found.get("RedrivePolicy").map(|p| RedrivePolicy::parse(p));
    match (&spec.redrive, redrive) {
        (None, None) => {}
        (Some(_), None) => out.push(resource, "RedrivePolicy", "a redrive policy", MISSING),
        (None, Some(_)) => out.push(resource, "RedrivePolicy", "none", &found["RedrivePolicy"]),
        (Some(_), Some(Err(e))) => out.push(
            resource,
            "RedrivePolicy",
            "a redrive policy",
            &e.to_string(),
        ),
        (Some(expected), Some(Ok(actual))) => {
            out.check(
                resource,
                "RedrivePolicy.deadLetterTargetArn",
                &expected.dead_letter_target_arn,
                &actual.dead_letter_target_arn,
            );
            out.check(
                resource,
                "RedrivePolicy.maxReceiveCount",
                &expected.max_receive_count.to_string(),
                &actual.max_receive_count.to_string(),
            );
        }
    }

    let allow = found
        .get("RedriveAllowPolicy")
        .and_then(|p| serde_json::from_str::<Json>(p).ok());
    if let (Some(expected), Some(actual)) = (&spec.redrive_allow, allow) {
        let property = "RedriveAllowPolicy";
        out.check(
            resource,
            &format!("{property}.redrivePermission"),
            &expected.redrive_permission,
            &scalar(&actual["redrivePermission"]),
        );
        let mut wanted = expected.source_queue_arns.clone();
        wanted.sort();
        let mut arns: Vec<String> = match &actual["sourceQueueArns"] {
            Json::Array(items) => items.iter().map(scalar).collect(),
            other => vec![scalar(other)],
        };
        arns.sort();
        out.check(
            resource,
            &format!("{property}.sourceQueueArns"),
            &wanted.join(","),
            &arns.join(","),
        );
    } else if spec.redrive_allow.is_none() && found.contains_key("RedriveAllowPolicy") {
        out.push(
            resource,
            "RedriveAllowPolicy",
            "none",
            &found["RedriveAllowPolicy"],
        );
    }

    let policy = found
        .get("Policy")
        .and_then(|p| serde_json::from_str::<Json>(p).ok());
    match (&spec.policy, policy) {
        (None, None) => {}
        (Some(_), None) => out.push(resource, "Policy", "an access policy", MISSING),
        (None, Some(p)) => out.push(resource, "Policy", "none", &p.to_string()),
        (Some(expected), Some(actual)) => {
            if normalize(expected) != normalize(&actual) {
                out.push(
                    resource,
                    "Policy",
                    &expected.to_string(),
                    &actual.to_string(),
                );
            }
        }
    }
}

fn compare_subscriptions(out: &mut Differences, template: &Template, observed: &Observed) {
    let short = |arn: &str| arn.rsplit(':').next().unwrap_or(arn).to_owned();
    for spec in &template.subscriptions {
        let resource = format!(
            "subscription {} ({} → {})",
            spec.logical_id,
            short(&spec.topic_arn),
            short(&spec.endpoint)
        );
        let found = observed.subscriptions.iter().find(|s| {
            s.topic_arn == spec.topic_arn
                && s.protocol == spec.protocol
                && s.endpoint == spec.endpoint
        });
        match found {
            None => out.push(
                &resource,
                "existence",
                &format!("a {} subscription", spec.protocol),
                MISSING,
            ),
            Some(found) => {
                // `true` in YAML, `true` or `True` from an endpoint.
                let lower = |m: &BTreeMap<String, String>| -> BTreeMap<String, String> {
                    m.iter()
                        .map(|(k, v)| (k.clone(), v.to_ascii_lowercase()))
                        .collect()
                };
                out.attributes(
                    &resource,
                    &lower(&spec.attributes),
                    &lower(&found.attributes),
                );
            }
        }
    }
    for found in &observed.subscriptions {
        let declared = template.subscriptions.iter().any(|s| {
            s.topic_arn == found.topic_arn
                && s.protocol == found.protocol
                && s.endpoint == found.endpoint
        });
        if !declared {
            out.push(
                &format!("topic {}", short(&found.topic_arn)),
                "subscription",
                "none",
                &format!("{} → {}", found.protocol, found.endpoint),
            );
        }
    }
}

/// A JSON scalar as text: `3` and `"3"` are the same setting to SQS.
fn scalar(value: &Json) -> String {
    match value {
        Json::String(s) => s.clone(),
        Json::Null => "nothing".to_owned(),
        other => other.to_string(),
    }
}

/// Policies compare by meaning: `3` = `"3"`, `["x"]` = `"x"` (IAM treats both alike).
fn normalize(value: &Json) -> Json {
    match value {
        Json::Array(items) if items.len() == 1 => normalize(&items[0]),
        Json::Array(items) => Json::Array(items.iter().map(normalize).collect()),
        Json::Object(map) => {
            Json::Object(map.iter().map(|(k, v)| (k.clone(), normalize(v))).collect())
        }
        other => Json::String(scalar(other)),
    }
}
