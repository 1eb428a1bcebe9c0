//! Reads back what exists and lists every disagreement with the template.
//!
//! [`observe`] talks to the endpoint; [`compare`] is pure, so a test can feed it
//! a doctored [`Observed`] as well as a real one.

use aws_config::SdkConfig;
use aws_sdk_dynamodb::types::TimeToLiveStatus;
use aws_sdk_dynamodb::types::{KeySchemaElement, KeyType, PointInTimeRecoveryStatus, SseStatus};
use aws_sdk_ses::types::VerificationStatus;
use aws_sdk_sqs::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sqs::operation::get_queue_url::GetQueueUrlError;
use aws_sdk_sqs::types::QueueAttributeName;

use crate::compare::compare;
use crate::observed::{Difference, Observed, ObservedSubscription, ObservedTable};
use crate::spec::{IndexSpec, KeySchema, Template};
use crate::{aws_error, LocalError};

/// [`observe`] then [`compare`].
pub async fn verify(sdk: &SdkConfig, template: &Template) -> Result<Vec<Difference>, LocalError> {
    Ok(compare(template, &observe(sdk, template).await?))
}

/// Reads the state of every resource the template names.
pub async fn observe(sdk: &SdkConfig, template: &Template) -> Result<Observed, LocalError> {
    let mut observed = Observed::default();

    let dynamodb = aws_sdk_dynamodb::Client::new(sdk);
    for spec in &template.tables {
        if let Some(table) = observe_table(sdk, &dynamodb, &spec.name).await? {
            observed.tables.insert(spec.name.clone(), table);
        }
    }

    let sns = aws_sdk_sns::Client::new(sdk);
    for topic in &template.topics {
        let found = sns
            .get_topic_attributes()
            .topic_arn(&topic.arn)
            .send()
            .await;
        match found {
            Ok(out) => {
                let attributes = out.attributes.unwrap_or_default().into_iter().collect();
                observed.topics.insert(topic.arn.clone(), attributes);
            }
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_not_found_exception()) =>
            {
                continue
            }
            Err(e) => return Err(aws_error(sdk, format!("reading topic {}", topic.name))(e)),
        }
        for sub in list_subscriptions(sdk, &sns, &topic.arn).await? {
            let arn = sub.subscription_arn().unwrap_or_default().to_owned();
            let attributes = sns
                .get_subscription_attributes()
                .subscription_arn(&arn)
                .send()
                .await
                .map_err(aws_error(sdk, format!("reading subscription {arn}")))?
                .attributes
                .unwrap_or_default()
                .into_iter()
                .collect();
            observed.subscriptions.push(ObservedSubscription {
                topic_arn: topic.arn.clone(),
                protocol: sub.protocol().unwrap_or_default().to_owned(),
                endpoint: sub.endpoint().unwrap_or_default().to_owned(),
                arn,
                attributes,
            });
        }
    }

    let sqs = aws_sdk_sqs::Client::new(sdk);
    for queue in &template.queues {
        let url = match sqs.get_queue_url().queue_name(&queue.name).send().await {
            Ok(out) => out.queue_url.unwrap_or_default(),
            Err(e) if queue_missing(&e) => continue,
            Err(e) => {
                return Err(aws_error(sdk, format!("looking up queue {}", queue.name))(
                    e,
                ))
            }
        };
        let attributes = sqs
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(QueueAttributeName::All)
            .send()
            .await
            .map_err(aws_error(sdk, format!("reading queue {}", queue.name)))?
            .attributes
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k.as_str().to_owned(), v))
            .collect();
        observed.queues.insert(queue.name.clone(), attributes);
    }

    if let Some(sender) = &template.sender_email {
        let found = aws_sdk_ses::Client::new(sdk)
            .get_identity_verification_attributes()
            .identities(sender)
            .send()
            .await
            .map_err(aws_error(sdk, format!("reading SES identity {sender}")))?;
        let status = found.verification_attributes().get(sender);
        if status.is_some_and(|s| s.verification_status() == &VerificationStatus::Success) {
            observed.verified_identities.insert(sender.clone());
        }
    }
    Ok(observed)
}

async fn observe_table(
    sdk: &SdkConfig,
    client: &aws_sdk_dynamodb::Client,
    name: &str,
) -> Result<Option<ObservedTable>, LocalError> {
    let described = match client.describe_table().table_name(name).send().await {
        Ok(out) => match out.table {
            Some(table) => table,
            None => return Ok(None),
        },
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception()) =>
        {
            return Ok(None)
        }
        Err(e) => return Err(aws_error(sdk, format!("describing table {name}"))(e)),
    };
    let ttl = client
        .describe_time_to_live()
        .table_name(name)
        .send()
        .await
        .map_err(aws_error(sdk, format!("reading the TTL of {name}")))?;
    let ttl = ttl.time_to_live_description();
    let ttl_attribute = ttl
        .filter(|d| d.time_to_live_status() == Some(&TimeToLiveStatus::Enabled))
        .and_then(|d| d.attribute_name().map(str::to_owned));
    let backups = client
        .describe_continuous_backups()
        .table_name(name)
        .send()
        .await
        .map_err(aws_error(sdk, format!("reading the backups of {name}")))?;
    let point_in_time_recovery = backups
        .continuous_backups_description()
        .and_then(|d| d.point_in_time_recovery_description())
        .and_then(|d| d.point_in_time_recovery_status())
        == Some(&PointInTimeRecoveryStatus::Enabled);
    Ok(Some(ObservedTable {
        billing_mode: described
            .billing_mode_summary()
            .and_then(|b| b.billing_mode())
            .map_or("PROVISIONED", |m| m.as_str())
            .to_owned(),
        attributes: described
            .attribute_definitions()
            .iter()
            .map(|a| {
                (
                    a.attribute_name().to_owned(),
                    a.attribute_type().as_str().to_owned(),
                )
            })
            .collect(),
        key: key_schema(described.key_schema()),
        global_indexes: described
            .global_secondary_indexes()
            .iter()
            .map(|index| IndexSpec {
                name: index.index_name().unwrap_or_default().to_owned(),
                key: key_schema(index.key_schema()),
                projection: index
                    .projection()
                    .and_then(|p| p.projection_type())
                    .map_or("", |p| p.as_str())
                    .to_owned(),
            })
            .collect(),
        ttl_attribute,
        point_in_time_recovery,
        sse: described
            .sse_description()
            .and_then(|d| d.status())
            .is_some_and(|s| matches!(s, SseStatus::Enabled | SseStatus::Enabling)),
    }))
}

fn key_schema(elements: &[KeySchemaElement]) -> KeySchema {
    let find = |kind: KeyType| {
        elements
            .iter()
            .find(|e| e.key_type() == &kind)
            .map(|e| e.attribute_name().to_owned())
    };
    KeySchema {
        hash: find(KeyType::Hash).unwrap_or_default(),
        range: find(KeyType::Range),
    }
}

/// Every subscription of `topic_arn`, across pages.
pub(crate) async fn list_subscriptions(
    sdk: &SdkConfig,
    client: &aws_sdk_sns::Client,
    topic_arn: &str,
) -> Result<Vec<aws_sdk_sns::types::Subscription>, LocalError> {
    let mut all = Vec::new();
    let mut token = None;
    loop {
        let page = client
            .list_subscriptions_by_topic()
            .topic_arn(topic_arn)
            .set_next_token(token)
            .send()
            .await
            .map_err(aws_error(
                sdk,
                format!("listing the subscriptions of {topic_arn}"),
            ))?;
        all.extend(page.subscriptions.unwrap_or_default());
        token = page.next_token;
        if token.is_none() {
            return Ok(all);
        }
    }
}

/// moto names the error by its query-protocol code, real SQS by its JSON one.
pub(crate) fn queue_missing<R>(e: &SdkError<GetQueueUrlError, R>) -> bool {
    e.as_service_error().is_some_and(|e| {
        e.is_queue_does_not_exist() || e.code().is_some_and(|c| c.contains("NonExistentQueue"))
    })
}
