//! Reads back what exists ([`Observed`]); [`compare`] is pure, so a test can
//! feed it a doctored [`Observed`]. `provision` reads through the same functions.

use aws_config::SdkConfig;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, GlobalSecondaryIndexDescription, KeySchemaElement, KeyType,
    PointInTimeRecoveryStatus, SseStatus, TimeToLiveStatus,
};
use aws_sdk_ses::types::VerificationStatus;
use aws_sdk_sqs::types::QueueAttributeName;

use crate::compare::{compare, Difference, Observed};
use crate::spec::{IndexSpec, KeySchema, SubscriptionSpec, TableSpec, Template};
use crate::{LocalError, SdkResult};

/// [`observe`] then [`compare`].
pub async fn verify(sdk: &SdkConfig, template: &Template) -> Result<Vec<Difference>, LocalError> {
    Ok(compare(template, &observe(sdk, template).await?))
}

pub async fn observe(sdk: &SdkConfig, template: &Template) -> Result<Observed, LocalError> {
    let mut observed = Observed::default();
    let dynamodb = aws_sdk_dynamodb::Client::new(sdk);
    for spec in &template.tables {
        if let Some(table) = table(sdk, &dynamodb, spec).await? {
            observed.tables.insert(spec.name.clone(), table);
        }
    }

    let sns = aws_sdk_sns::Client::new(sdk);
    for topic in &template.topics {
        let action = format!("reading topic {}", topic.name);
        let found = sns.get_topic_attributes().topic_arn(&topic.arn).send();
        let found = found.await.or_missing(sdk, action)?;
        let Some(found) = found else { continue };
        let attributes = found.attributes.unwrap_or_default().into_iter().collect();
        observed.topics.insert(topic.arn.clone(), attributes);
        // Every subscription of the topic, across pages, with its attributes.
        let listed = sns.list_subscriptions_by_topic().topic_arn(&topic.arn);
        let listed = listed.into_paginator().items().send().try_collect().await;
        let action = format!("listing the subscriptions of {}", topic.arn);
        for found in listed.or_fail(sdk, action)? {
            let arn = found.subscription_arn.unwrap_or_default();
            let attributes = sns.get_subscription_attributes().subscription_arn(&arn);
            let attributes = attributes.send().await;
            let attributes = attributes.or_fail(sdk, format!("reading {arn}"))?;
            let attributes = attributes.attributes.unwrap_or_default();
            observed.subscriptions.push(SubscriptionSpec {
                logical_id: String::new(),
                topic_arn: topic.arn.clone(),
                protocol: found.protocol.unwrap_or_default(),
                endpoint: found.endpoint.unwrap_or_default(),
                attributes: attributes.into_iter().collect(),
            });
        }
    }

    let sqs = aws_sdk_sqs::Client::new(sdk);
    for queue in &template.queues {
        let Some(url) = queue_url(sdk, &sqs, &queue.name).await? else {
            continue;
        };
        let found = sqs.get_queue_attributes().queue_url(url);
        let found = found.attribute_names(QueueAttributeName::All).send().await;
        let found = found.or_fail(sdk, format!("reading queue {}", queue.name))?;
        let attributes = found.attributes.unwrap_or_default().into_iter();
        let attributes = attributes.map(|(k, v)| (k.to_string(), v)).collect();
        observed.queues.insert(queue.name.clone(), attributes);
    }

    if let Some(sender) = &template.sender_email {
        let ses = aws_sdk_ses::Client::new(sdk);
        let found = ses.get_identity_verification_attributes();
        let found = found.identities(sender).send().await;
        let found = found.or_fail(sdk, format!("reading SES identity {sender}"))?;
        let status = found.verification_attributes().get(sender);
        if status.is_some_and(|s| s.verification_status() == &VerificationStatus::Success) {
            observed.verified_identities.insert(sender.clone());
        }
    }
    Ok(observed)
}

/// The table `spec` names as it is, in the template's shape; `None` if missing.
pub(crate) async fn table(
    sdk: &SdkConfig,
    client: &aws_sdk_dynamodb::Client,
    spec: &TableSpec,
) -> Result<Option<TableSpec>, LocalError> {
    let name = &spec.name;
    let found = client.describe_table().table_name(name).send().await;
    let found = found.or_missing(sdk, format!("describing table {name}"))?;
    let Some(table) = found.and_then(|d| d.table) else {
        return Ok(None);
    };
    let ttl = client.describe_time_to_live().table_name(name).send().await;
    let ttl = ttl.or_fail(sdk, format!("reading the TTL of {name}"))?;
    let backups = client.describe_continuous_backups().table_name(name);
    let backups = backups.send().await;
    let backups = backups.or_fail(sdk, format!("reading the backups of {name}"))?;
    let pitr = backups
        .continuous_backups_description
        .and_then(|d| d.point_in_time_recovery_description)
        .and_then(|d| d.point_in_time_recovery_status);
    let billing_mode = table.billing_mode_summary.and_then(|b| b.billing_mode);
    let sse = table.sse_description.and_then(|d| d.status);
    let attribute = |a: AttributeDefinition| (a.attribute_name, a.attribute_type.to_string());
    let index = |index: GlobalSecondaryIndexDescription| IndexSpec {
        name: index.index_name.unwrap_or_default(),
        key: key_schema(index.key_schema.unwrap_or_default()),
        projection: index
            .projection
            .and_then(|p| p.projection_type)
            .map_or_else(String::new, |p| p.to_string()),
    };
    let attributes = table.attribute_definitions.unwrap_or_default();
    let indexes = table.global_secondary_indexes.unwrap_or_default();
    Ok(Some(TableSpec {
        logical_id: spec.logical_id.clone(),
        name: name.clone(),
        billing_mode: Some(billing_mode.map_or("PROVISIONED".to_owned(), |m| m.to_string())),
        attributes: attributes.into_iter().map(attribute).collect(),
        key: key_schema(table.key_schema.unwrap_or_default()),
        global_indexes: indexes.into_iter().map(index).collect(),
        ttl_attribute: ttl
            .time_to_live_description
            .filter(|d| d.time_to_live_status == Some(TimeToLiveStatus::Enabled))
            .and_then(|d| d.attribute_name),
        point_in_time_recovery: pitr == Some(PointInTimeRecoveryStatus::Enabled),
        sse: matches!(sse, Some(SseStatus::Enabled | SseStatus::Enabling)),
    }))
}

fn key_schema(elements: Vec<KeySchemaElement>) -> KeySchema {
    let find = |kind: KeyType| {
        let element = elements.iter().find(|e| e.key_type == kind);
        element.map(|e| e.attribute_name.clone())
    };
    let hash = find(KeyType::Hash).unwrap_or_default();
    let range = find(KeyType::Range);
    KeySchema { hash, range }
}

pub(crate) async fn queue_url(
    sdk: &SdkConfig,
    client: &aws_sdk_sqs::Client,
    name: &str,
) -> Result<Option<String>, LocalError> {
    let found = client.get_queue_url().queue_name(name).send().await;
    let found = found.or_missing(sdk, format!("looking up queue {name}"))?;
    Ok(found.and_then(|f| f.queue_url))
}
