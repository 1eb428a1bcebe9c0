//! Finding a worker's queue and its dead-letter queue at start-up. The DLQ and
//! `maxReceiveCount` come from the queue's `RedrivePolicy`, so the worker agrees
//! with SQS on which attempt is the last.

use aws_sdk_sqs::types::QueueAttributeName;
use aws_sdk_sqs::Client;

use super::sdk_error::backend_error;
use super::RedrivePolicy;
use ports::BackendError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueAddress {
    pub name: String,
    pub url: String,
    pub arn: String,
}

impl QueueAddress {
    /// The queue's URL and ARN; a missing queue is a [`ports::Fault::NotFound`].
    pub async fn lookup(client: &Client, name: &str) -> Result<QueueAddress, BackendError> {
        let url = queue_url(client, name).await?;
        let arn = client
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .map_err(|e| backend_error("SQS.GetQueueAttributes", e))?
            .attributes
            .unwrap_or_default()
            .remove(&QueueAttributeName::QueueArn)
            .unwrap_or_default();
        Ok(QueueAddress {
            name: name.to_owned(),
            url,
            arn,
        })
    }
}

/// A consumed queue, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqsQueue {
    pub name: String,
    pub url: String,
    pub arn: String,
    /// The DLQ its redrive policy names (or the fallback's, without one).
    pub dead_letter: QueueAddress,
    /// The receive on which SQS gives up (and the worker attaches the reason).
    pub max_receive_count: u32,
    /// `VisibilityTimeout`, which the local poller extends while a record is handled.
    pub visibility_timeout: std::time::Duration,
}

impl SqsQueue {
    pub async fn resolve(
        client: &Client,
        name: &str,
        fallback_dlq: &str,
        fallback_max_receive_count: u32,
    ) -> Result<SqsQueue, BackendError> {
        // The fallback DLQ is usually the one the policy names: asking for both
        // URLs at once makes start-up two round trips, not three.
        let (url, fallback_url) =
            tokio::join!(queue_url(client, name), queue_url(client, fallback_dlq));
        let url = url?;
        let mut attributes = client
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(QueueAttributeName::QueueArn)
            .attribute_names(QueueAttributeName::RedrivePolicy)
            .attribute_names(QueueAttributeName::VisibilityTimeout)
            .send()
            .await
            .map_err(|e| backend_error("SQS.GetQueueAttributes", e))?
            .attributes
            .unwrap_or_default();
        let arn = attributes
            .remove(&QueueAttributeName::QueueArn)
            .unwrap_or_default();
        let (dead_letter, max_receive_count) =
            match attributes.get(&QueueAttributeName::RedrivePolicy) {
                Some(text) if !text.is_empty() => {
                    let policy = RedrivePolicy::parse(text).map_err(|e| {
                        let why = format!("queue {name} has an {e}");
                        BackendError::new("SQS.GetQueueAttributes", false, why)
                    })?;
                    let dlq_name = policy.dead_letter_queue_name();
                    let dlq_url = match fallback_url {
                        Ok(known) if dlq_name == fallback_dlq => known,
                        _ => queue_url(client, dlq_name).await?,
                    };
                    let dead_letter = QueueAddress {
                        url: dlq_url,
                        name: dlq_name.to_owned(),
                        arn: policy.dead_letter_target_arn.clone(),
                    };
                    (dead_letter, policy.max_receive_count)
                }
                _ => {
                    tracing::warn!(
                        queue = name,
                        "queue has no redrive policy; using the configured DLQ"
                    );
                    let dead_letter = QueueAddress::lookup(client, fallback_dlq).await?;
                    (dead_letter, fallback_max_receive_count)
                }
            };
        let visibility_timeout = attributes
            .get(&QueueAttributeName::VisibilityTimeout)
            .and_then(|seconds| seconds.parse().ok())
            .unwrap_or(30); // SQS's default, should the endpoint not say.
        Ok(SqsQueue {
            name: name.to_owned(),
            dead_letter,
            url,
            arn,
            max_receive_count,
            visibility_timeout: std::time::Duration::from_secs(visibility_timeout),
        })
    }
}

async fn queue_url(client: &Client, name: &str) -> Result<String, BackendError> {
    let output = client.get_queue_url().queue_name(name).send().await;
    let output = output.map_err(|e| backend_error("SQS.GetQueueUrl", e))?;
    Ok(output.queue_url.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use aws_sdk_sqs::operation::get_queue_attributes::GetQueueAttributesOutput;
    use aws_sdk_sqs::operation::get_queue_url::GetQueueUrlOutput;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    use super::*;

    #[tokio::test]
    async fn resolves_the_queue_and_the_dlq_its_policy_names() {
        let urls = mock!(Client::get_queue_url).then_compute_output(|req| {
            GetQueueUrlOutput::builder()
                .queue_url(format!(
                    "http://sqs/{}",
                    req.queue_name().unwrap_or_default()
                ))
                .build()
        });
        let attributes = mock!(Client::get_queue_attributes).then_output(|| {
            GetQueueAttributesOutput::builder()
                .attributes(
                    QueueAttributeName::QueueArn,
                    "arn:aws:sqs:us-east-1:123456789012:local-OrderEmailQueue",
                )
                .attributes(
                    QueueAttributeName::RedrivePolicy,
                    r#"{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:123456789012:real-DLQ","maxReceiveCount":5}"#,
                )
                .build()
        });
        let client = mock_client!(aws_sdk_sqs, RuleMode::MatchAny, [&urls, &attributes]);

        let queue = SqsQueue::resolve(&client, "local-OrderEmailQueue", "configured-DLQ", 3)
            .await
            .expect("resolved");

        assert_eq!(queue.url, "http://sqs/local-OrderEmailQueue");
        assert_eq!(
            queue.arn,
            "arn:aws:sqs:us-east-1:123456789012:local-OrderEmailQueue"
        );
        assert_eq!(queue.dead_letter.url, "http://sqs/real-DLQ");
        assert_eq!(queue.dead_letter.name, "real-DLQ");
        assert_eq!(queue.max_receive_count, 5);
    }

    /// Counts each queue name asked for, answering with a URL.
    fn counted_urls(
        asked: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    ) -> aws_smithy_mocks::Rule {
        mock!(Client::get_queue_url).then_compute_output(move |req| {
            let name = req.queue_name().unwrap_or_default().to_owned();
            asked.lock().expect("lock").push(name.clone());
            GetQueueUrlOutput::builder()
                .queue_url(format!("http://sqs/{name}"))
                .build()
        })
    }

    fn policy_naming(dlq: &str) -> aws_smithy_mocks::Rule {
        let policy = format!(
            r#"{{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:123456789012:{dlq}","maxReceiveCount":3}}"#
        );
        mock!(Client::get_queue_attributes).then_output(move || {
            GetQueueAttributesOutput::builder()
                .attributes(QueueAttributeName::RedrivePolicy, policy.clone())
                .build()
        })
    }

    #[tokio::test]
    async fn the_dlq_the_policy_names_is_not_looked_up_twice() {
        let asked = std::sync::Arc::default();
        let urls = counted_urls(std::sync::Arc::clone(&asked));
        let attributes = policy_naming("local-OrderEmailDLQ");
        let client = mock_client!(aws_sdk_sqs, RuleMode::MatchAny, [&urls, &attributes]);

        let queue = SqsQueue::resolve(&client, "local-OrderEmailQueue", "local-OrderEmailDLQ", 3)
            .await
            .expect("resolved");

        assert_eq!(queue.dead_letter.url, "http://sqs/local-OrderEmailDLQ");
        let mut asked = asked.lock().expect("lock").clone();
        asked.sort();
        assert_eq!(asked, ["local-OrderEmailDLQ", "local-OrderEmailQueue"]);
    }

    #[tokio::test]
    async fn a_policy_naming_another_dlq_wins_over_the_fallback() {
        let asked = std::sync::Arc::default();
        let urls = counted_urls(std::sync::Arc::clone(&asked));
        let attributes = policy_naming("elsewhere-DLQ");
        let client = mock_client!(aws_sdk_sqs, RuleMode::MatchAny, [&urls, &attributes]);

        let queue = SqsQueue::resolve(&client, "local-OrderEmailQueue", "local-OrderEmailDLQ", 3)
            .await
            .expect("resolved");

        assert_eq!(queue.dead_letter.url, "http://sqs/elsewhere-DLQ");
        assert_eq!(asked.lock().expect("lock").len(), 3);
    }
}
