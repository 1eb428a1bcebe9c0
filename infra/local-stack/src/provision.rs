//! Creates the template's resources through the service APIs. Idempotent:
//! what exists is brought up to date where the API allows it (attributes, TTL,
//! PITR) and left alone where it does not (a table's keys and indexes).

use std::collections::BTreeMap;

use aws_config::SdkConfig;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType,
    PointInTimeRecoverySpecification, Projection, ProjectionType, SseSpecification,
    TimeToLiveSpecification,
};
use tracing::info;

use crate::spec::{KeySchema, TableSpec, Template};
use crate::verify::{queue_url, table};
use crate::{LocalError, SdkResult};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProvisionOptions {
    /// Replaces the template's visibility timeouts, so that a failing message
    /// reaches its DLQ in seconds on a laptop. Only this; never the structure.
    pub visibility_timeout: Option<u32>,
}

/// By logical id: table names, topic ARNs, queue URLs, subscription ARNs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Provisioned {
    pub tables: BTreeMap<String, String>,
    pub topics: BTreeMap<String, String>,
    pub queues: BTreeMap<String, String>,
    pub subscriptions: BTreeMap<String, String>,
    /// The verified SES sender.
    pub sender_email: Option<String>,
}

pub async fn provision(
    sdk: &SdkConfig,
    template: &Template,
    options: &ProvisionOptions,
) -> Result<Provisioned, LocalError> {
    let mut out = Provisioned::default();

    let dynamodb = aws_sdk_dynamodb::Client::new(sdk);
    for spec in &template.tables {
        let name = &spec.name;
        let found = table(sdk, &dynamodb, spec).await?;
        if found.is_none() {
            create_table(sdk, &dynamodb, spec).await?;
        }
        let found = found.map(|t| (t.ttl_attribute, t.point_in_time_recovery));
        let (ttl, pitr) = found.unwrap_or_default();
        if spec.ttl_attribute.is_some() && ttl != spec.ttl_attribute {
            let ttl = TimeToLiveSpecification::builder().enabled(true);
            let ttl = ttl.set_attribute_name(spec.ttl_attribute.clone()).build()?;
            let update = dynamodb.update_time_to_live().table_name(name);
            let update = update.time_to_live_specification(ttl).send().await;
            update.or_fail(sdk, format!("enabling TTL on {name}"))?;
        }
        if spec.point_in_time_recovery && !pitr {
            let pitr = PointInTimeRecoverySpecification::builder()
                .point_in_time_recovery_enabled(true)
                .build()?;
            let update = dynamodb.update_continuous_backups().table_name(name);
            let update = update.point_in_time_recovery_specification(pitr).send();
            let action = format!("enabling point-in-time recovery on {name}");
            update.await.or_fail(sdk, action)?;
        }
        info!("table {name} ready");
        out.tables.insert(spec.logical_id.clone(), name.clone());
    }

    // Creating a topic or subscription that exists returns it; attributes are set
    // after, as creating a known one with different attributes is refused.
    let sns = aws_sdk_sns::Client::new(sdk);
    for topic in &template.topics {
        let name = &topic.name;
        let created = sns.create_topic().name(name).send().await;
        let created = created.or_fail(sdk, format!("creating topic {name}"))?;
        let arn = created.topic_arn.unwrap_or_default();
        if arn != topic.arn {
            return Err(LocalError::Inconsistent(format!(
                "topic {name} has ARN {arn}, but the template resolves it to {}: \
                 the endpoint's account or region differs from the one the template was read with",
                topic.arn
            )));
        }
        for (attribute, value) in &topic.attributes {
            let set = sns.set_topic_attributes().topic_arn(&arn);
            let set = set.attribute_name(attribute).attribute_value(value).send();
            let action = format!("setting {attribute} on topic {name}");
            set.await.or_fail(sdk, action)?;
        }
        info!("topic {name} ready");
        out.topics.insert(topic.logical_id.clone(), arn);
    }

    // Every queue exists before any is given its attributes: a redrive policy
    // may name a queue declared after it.
    let sqs = aws_sdk_sqs::Client::new(sdk);
    for queue in &template.queues {
        let name = &queue.name;
        let url = match queue_url(sdk, &sqs, name).await? {
            Some(url) => url,
            None => {
                let created = sqs.create_queue().queue_name(name).send().await;
                let created = created.or_fail(sdk, format!("creating queue {name}"))?;
                created.queue_url.unwrap_or_default()
            }
        };
        info!("queue {name} ready");
        out.queues.insert(queue.logical_id.clone(), url);
    }
    for queue in &template.queues {
        let mut attributes = queue.all_attributes();
        let timeout = attributes.get_mut("VisibilityTimeout");
        if let (Some(timeout), Some(local)) = (timeout, options.visibility_timeout) {
            *timeout = local.to_string();
        }
        let attributes = attributes.into_iter().map(|(k, v)| (k.as_str().into(), v));
        let url = &out.queues[&queue.logical_id];
        let set = sqs.set_queue_attributes().queue_url(url);
        let set = set.set_attributes(Some(attributes.collect())).send().await;
        set.or_fail(sdk, format!("setting the attributes of {}", queue.name))?;
    }

    for spec in &template.subscriptions {
        let id = &spec.logical_id;
        let subscribe = sns.subscribe().topic_arn(&spec.topic_arn);
        let subscribe = subscribe.protocol(&spec.protocol).endpoint(&spec.endpoint);
        let subscribed = subscribe.return_subscription_arn(true).send().await;
        let subscribed = subscribed.or_fail(sdk, format!("subscribing {}", spec.endpoint))?;
        let arn = subscribed.subscription_arn.unwrap_or_default();
        for (attribute, value) in &spec.attributes {
            let set = sns.set_subscription_attributes().subscription_arn(&arn);
            let set = set.attribute_name(attribute).attribute_value(value).send();
            let action = format!("setting {attribute} on {id}");
            set.await.or_fail(sdk, action)?;
        }
        info!("subscription {id} ready");
        out.subscriptions.insert(id.clone(), arn);
    }

    if let Some(sender) = &template.sender_email {
        let ses = aws_sdk_ses::Client::new(sdk);
        let verify = ses.verify_email_identity().email_address(sender).send();
        let action = format!("verifying the SES sender {sender}");
        verify.await.or_fail(sdk, action)?;
        info!("SES sender {sender} verified");
        out.sender_email = Some(sender.clone());
    }
    Ok(out)
}

async fn create_table(
    sdk: &SdkConfig,
    client: &aws_sdk_dynamodb::Client,
    table: &TableSpec,
) -> Result<(), LocalError> {
    let mut attributes = Vec::new();
    for (name, kind) in &table.attributes {
        let attribute = AttributeDefinition::builder().attribute_name(name);
        attributes.push(attribute.attribute_type(kind.as_str().into()).build()?);
    }
    let mut indexes = Vec::new();
    for index in &table.global_indexes {
        let projection = ProjectionType::from(index.projection.as_str());
        let index = GlobalSecondaryIndex::builder()
            .index_name(&index.name)
            .set_key_schema(Some(key_schema(&index.key)?))
            .projection(Projection::builder().projection_type(projection).build());
        indexes.push(index.build()?);
    }
    let sse = SseSpecification::builder().enabled(true).build();
    client
        .create_table()
        .table_name(&table.name)
        .set_billing_mode(table.billing_mode.as_deref().map(BillingMode::from))
        .set_attribute_definitions(Some(attributes))
        .set_key_schema(Some(key_schema(&table.key)?))
        .set_global_secondary_indexes((!indexes.is_empty()).then_some(indexes))
        .set_sse_specification(table.sse.then_some(sse))
        .send()
        .await
        .or_fail(sdk, format!("creating table {}", table.name))
        .map(drop)
}

fn key_schema(key: &KeySchema) -> Result<Vec<KeySchemaElement>, LocalError> {
    let hash = Some((&key.hash, KeyType::Hash));
    let range = key.range.as_ref().map(|r| (r, KeyType::Range));
    let mut elements = Vec::new();
    for (name, kind) in [hash, range].into_iter().flatten() {
        let element = KeySchemaElement::builder().attribute_name(name);
        elements.push(element.key_type(kind).build()?);
    }
    Ok(elements)
}
