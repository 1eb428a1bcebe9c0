//! Creates the template's resources through the service APIs.
//!
//! Idempotent: a resource that exists is brought up to date where the API
//! allows it (queue, topic and subscription attributes, TTL, PITR) and left alone
//! where it does not (a table's keys and indexes); `verify` reports the rest.

use std::collections::{BTreeMap, HashMap};

use aws_config::SdkConfig;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType,
    PointInTimeRecoverySpecification, Projection, ProjectionType, ScalarAttributeType,
    SseSpecification, TimeToLiveSpecification, TimeToLiveStatus,
};
use aws_sdk_sqs::types::QueueAttributeName;
use serde_json::json;
use tracing::info;

use crate::spec::{KeySchema, QueueSpec, SubscriptionSpec, TableSpec, Template, TopicSpec};
use crate::{aws_error, LocalError};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProvisionOptions {
    /// Replaces the template's visibility timeouts, so that a failing message
    /// reaches its DLQ in seconds on a laptop. Only this; never the structure.
    pub visibility_timeout: Option<u32>,
}

/// What was provisioned, by the template's logical ids.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Provisioned {
    /// Logical id → table name.
    pub tables: BTreeMap<String, String>,
    /// Logical id → topic ARN.
    pub topics: BTreeMap<String, String>,
    /// Logical id → queue URL.
    pub queues: BTreeMap<String, String>,
    /// Logical id → subscription ARN.
    pub subscriptions: BTreeMap<String, String>,
    /// The verified SES sender, if the template declares one.
    pub sender_email: Option<String>,
}

/// Creates or updates every resource of `template`; safe to run again.
pub async fn provision(
    sdk: &SdkConfig,
    template: &Template,
    options: &ProvisionOptions,
) -> Result<Provisioned, LocalError> {
    let mut out = Provisioned::default();

    let dynamodb = aws_sdk_dynamodb::Client::new(sdk);
    for table in &template.tables {
        ensure_table(sdk, &dynamodb, table).await?;
        out.tables
            .insert(table.logical_id.clone(), table.name.clone());
    }

    let sns = aws_sdk_sns::Client::new(sdk);
    for topic in &template.topics {
        ensure_topic(sdk, &sns, topic).await?;
        out.topics
            .insert(topic.logical_id.clone(), topic.arn.clone());
    }

    // Two passes: a redrive policy may name a queue declared after it.
    let sqs = aws_sdk_sqs::Client::new(sdk);
    for queue in &template.queues {
        let url = ensure_queue(sdk, &sqs, queue, options).await?;
        out.queues.insert(queue.logical_id.clone(), url);
    }
    for queue in &template.queues {
        let url = &out.queues[&queue.logical_id];
        sqs.set_queue_attributes()
            .queue_url(url)
            .set_attributes(Some(queue_attributes(queue, options)))
            .send()
            .await
            .map_err(aws_error(
                sdk,
                format!("setting the attributes of {}", queue.name),
            ))?;
    }

    for subscription in &template.subscriptions {
        let arn = ensure_subscription(sdk, &sns, subscription).await?;
        out.subscriptions
            .insert(subscription.logical_id.clone(), arn);
    }

    if let Some(sender) = &template.sender_email {
        aws_sdk_ses::Client::new(sdk)
            .verify_email_identity()
            .email_address(sender)
            .send()
            .await
            .map_err(aws_error(sdk, format!("verifying the SES sender {sender}")))?;
        info!("SES sender {sender} verified");
        out.sender_email = Some(sender.clone());
    }
    Ok(out)
}

async fn ensure_table(
    sdk: &SdkConfig,
    client: &aws_sdk_dynamodb::Client,
    table: &TableSpec,
) -> Result<(), LocalError> {
    let name = &table.name;
    match client.describe_table().table_name(name).send().await {
        Ok(_) => info!("table {name} exists"),
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception()) =>
        {
            create_table(sdk, client, table).await?;
            info!("table {name} created");
        }
        Err(e) => return Err(aws_error(sdk, format!("describing table {name}"))(e)),
    }
    if let Some(attribute) = &table.ttl_attribute {
        let current = client
            .describe_time_to_live()
            .table_name(name)
            .send()
            .await
            .map_err(aws_error(sdk, format!("reading the TTL of {name}")))?;
        let current = current.time_to_live_description();
        let enabled = current.and_then(|d| d.time_to_live_status())
            == Some(&TimeToLiveStatus::Enabled)
            && current.and_then(|d| d.attribute_name()) == Some(attribute.as_str());
        if !enabled {
            let spec = TimeToLiveSpecification::builder()
                .attribute_name(attribute)
                .enabled(true)
                .build()
                .map_err(|e| build_error("TimeToLiveSpecification", e))?;
            client
                .update_time_to_live()
                .table_name(name)
                .time_to_live_specification(spec)
                .send()
                .await
                .map_err(aws_error(sdk, format!("enabling TTL on {name}")))?;
        }
    }
    if table.point_in_time_recovery {
        let spec = PointInTimeRecoverySpecification::builder()
            .point_in_time_recovery_enabled(true)
            .build()
            .map_err(|e| build_error("PointInTimeRecoverySpecification", e))?;
        client
            .update_continuous_backups()
            .table_name(name)
            .point_in_time_recovery_specification(spec)
            .send()
            .await
            .map_err(aws_error(
                sdk,
                format!("enabling point-in-time recovery on {name}"),
            ))?;
    }
    Ok(())
}

async fn create_table(
    sdk: &SdkConfig,
    client: &aws_sdk_dynamodb::Client,
    table: &TableSpec,
) -> Result<(), LocalError> {
    let attributes = table
        .attributes
        .iter()
        .map(|(name, kind)| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::from(kind.as_str()))
                .build()
                .map_err(|e| build_error("AttributeDefinition", e))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let indexes = table
        .global_indexes
        .iter()
        .map(|index| {
            GlobalSecondaryIndex::builder()
                .index_name(&index.name)
                .set_key_schema(Some(key_schema(&index.key)?))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::from(index.projection.as_str()))
                        .build(),
                )
                .build()
                .map_err(|e| build_error("GlobalSecondaryIndex", e))
        })
        .collect::<Result<Vec<_>, _>>()?;
    client
        .create_table()
        .table_name(&table.name)
        .set_billing_mode(table.billing_mode.as_deref().map(BillingMode::from))
        .set_attribute_definitions(Some(attributes))
        .set_key_schema(Some(key_schema(&table.key)?))
        .set_global_secondary_indexes((!indexes.is_empty()).then_some(indexes))
        .set_sse_specification(
            table
                .sse
                .then(|| SseSpecification::builder().enabled(true).build()),
        )
        .send()
        .await
        .map_err(aws_error(sdk, format!("creating table {}", table.name)))?;
    Ok(())
}

fn key_schema(key: &KeySchema) -> Result<Vec<KeySchemaElement>, LocalError> {
    let hash = Some((&key.hash, KeyType::Hash));
    let range = key.range.as_ref().map(|r| (r, KeyType::Range));
    [hash, range]
        .into_iter()
        .flatten()
        .map(|(name, kind)| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(kind)
                .build()
                .map_err(|e| build_error("KeySchemaElement", e))
        })
        .collect()
}

async fn ensure_topic(
    sdk: &SdkConfig,
    client: &aws_sdk_sns::Client,
    topic: &TopicSpec,
) -> Result<(), LocalError> {
    // CreateTopic returns the existing topic; attributes are set one by one
    // because CreateTopic refuses a known name with different attributes.
    let created = client
        .create_topic()
        .name(&topic.name)
        .send()
        .await
        .map_err(aws_error(sdk, format!("creating topic {}", topic.name)))?;
    let arn = created.topic_arn().unwrap_or_default();
    if arn != topic.arn {
        return Err(LocalError::Inconsistent(format!(
            "topic {} has ARN {arn}, but the template resolves it to {}: \
             the endpoint's account or region differs from the one the template was read with",
            topic.name, topic.arn
        )));
    }
    for (name, value) in &topic.attributes {
        client
            .set_topic_attributes()
            .topic_arn(arn)
            .attribute_name(name)
            .attribute_value(value)
            .send()
            .await
            .map_err(aws_error(
                sdk,
                format!("setting {name} on topic {}", topic.name),
            ))?;
    }
    info!("topic {} ready", topic.name);
    Ok(())
}

/// The queue's URL, creating it with its scalar attributes if need be.
async fn ensure_queue(
    sdk: &SdkConfig,
    client: &aws_sdk_sqs::Client,
    queue: &QueueSpec,
    options: &ProvisionOptions,
) -> Result<String, LocalError> {
    match client.get_queue_url().queue_name(&queue.name).send().await {
        Ok(found) => {
            info!("queue {} exists", queue.name);
            return Ok(found.queue_url().unwrap_or_default().to_owned());
        }
        Err(e) if crate::verify::queue_missing(&e) => {}
        Err(e) => {
            return Err(aws_error(sdk, format!("looking up queue {}", queue.name))(
                e,
            ))
        }
    }
    let scalars = scalar_attributes(queue, options)
        .into_iter()
        .map(|(k, v)| (QueueAttributeName::from(k.as_str()), v))
        .collect();
    let created = client
        .create_queue()
        .queue_name(&queue.name)
        .set_attributes(Some(scalars))
        .send()
        .await
        .map_err(aws_error(sdk, format!("creating queue {}", queue.name)))?;
    info!("queue {} created", queue.name);
    Ok(created.queue_url().unwrap_or_default().to_owned())
}

/// The template's scalar attributes, with the visibility override applied.
pub(crate) fn scalar_attributes(
    queue: &QueueSpec,
    options: &ProvisionOptions,
) -> BTreeMap<String, String> {
    let mut attributes = queue.attributes.clone();
    if let (Some(timeout), Some(value)) = (
        options.visibility_timeout,
        attributes.get_mut("VisibilityTimeout"),
    ) {
        *value = timeout.to_string();
    }
    attributes
}

/// Every attribute the queue should have: scalars, redrive, redrive-allow, access policy.
fn queue_attributes(
    queue: &QueueSpec,
    options: &ProvisionOptions,
) -> HashMap<QueueAttributeName, String> {
    let mut attributes: HashMap<_, _> = scalar_attributes(queue, options)
        .into_iter()
        .map(|(k, v)| (QueueAttributeName::from(k.as_str()), v))
        .collect();
    if let Some(redrive) = &queue.redrive {
        attributes.insert(QueueAttributeName::RedrivePolicy, redrive.to_attribute());
    }
    if let Some(allow) = &queue.redrive_allow {
        let policy = json!({
            "redrivePermission": allow.redrive_permission,
            "sourceQueueArns": allow.source_queue_arns,
        });
        attributes.insert(QueueAttributeName::RedriveAllowPolicy, policy.to_string());
    }
    if let Some(policy) = &queue.policy {
        attributes.insert(QueueAttributeName::Policy, policy.to_string());
    }
    attributes
}

async fn ensure_subscription(
    sdk: &SdkConfig,
    client: &aws_sdk_sns::Client,
    spec: &SubscriptionSpec,
) -> Result<String, LocalError> {
    let existing = crate::verify::list_subscriptions(sdk, client, &spec.topic_arn).await?;
    let found = existing
        .iter()
        .find(|s| s.protocol() == Some(&spec.protocol) && s.endpoint() == Some(&spec.endpoint))
        .and_then(|s| s.subscription_arn());
    let arn = match found {
        Some(arn) => {
            for (name, value) in &spec.attributes {
                client
                    .set_subscription_attributes()
                    .subscription_arn(arn)
                    .attribute_name(name)
                    .attribute_value(value)
                    .send()
                    .await
                    .map_err(aws_error(
                        sdk,
                        format!("setting {name} on {}", spec.logical_id),
                    ))?;
            }
            arn.to_owned()
        }
        None => client
            .subscribe()
            .topic_arn(&spec.topic_arn)
            .protocol(&spec.protocol)
            .endpoint(&spec.endpoint)
            .set_attributes(Some(spec.attributes.clone().into_iter().collect()))
            .return_subscription_arn(true)
            .send()
            .await
            .map_err(aws_error(sdk, format!("subscribing {}", spec.endpoint)))?
            .subscription_arn()
            .unwrap_or_default()
            .to_owned(),
    };
    info!("subscription {} ready", spec.logical_id);
    Ok(arn)
}

fn build_error(what: &str, source: aws_sdk_dynamodb::error::BuildError) -> LocalError {
    LocalError::Request {
        what: what.to_owned(),
        source: source.into(),
    }
}
