//! An SQS queue's `RedrivePolicy`: the dead-letter queue, and the receive on
//! which SQS moves a message there (for the workers, orderctl and local-stack).

use serde::{Deserialize, Deserializer, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RedrivePolicy {
    pub dead_letter_target_arn: String,
    /// Positive. Some endpoints and templates write it as text (`"3"`).
    #[serde(deserialize_with = "positive_count")]
    pub max_receive_count: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unreadable RedrivePolicy: {0}")]
pub struct RedrivePolicyError(pub String);

impl RedrivePolicy {
    /// The attribute's text, as SQS returns it.
    pub fn parse(text: &str) -> Result<RedrivePolicy, RedrivePolicyError> {
        serde_json::from_str(text).map_err(|e| RedrivePolicyError(e.to_string()))
    }

    /// The attribute's text, as `SetQueueAttributes` takes it.
    pub fn to_attribute(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The DLQ's name: the last field of its ARN.
    pub fn dead_letter_queue_name(&self) -> &str {
        crate::config::arn_name(&self.dead_letter_target_arn)
    }
}

fn positive_count<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u32, D::Error> {
    let count = match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(text) => text.trim().parse().ok(),
        _ => None,
    };
    count
        .and_then(|n| u32::try_from(n).ok())
        .filter(|n| *n > 0)
        .ok_or_else(|| serde::de::Error::custom("maxReceiveCount is not a positive count"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:sqs:us-east-1:123456789012:local-OrderEmailDLQ";

    #[test]
    fn a_redrive_policy_gives_the_dlq_name_and_the_count_in_either_notation() {
        for count in ["3", "\"3\""] {
            let text = format!(r#"{{"deadLetterTargetArn":"{ARN}","maxReceiveCount":{count}}}"#);
            let policy = RedrivePolicy::parse(&text).expect("readable");
            assert_eq!(policy.dead_letter_queue_name(), "local-OrderEmailDLQ");
            assert_eq!(policy.max_receive_count, 3);
            assert_eq!(RedrivePolicy::parse(&policy.to_attribute()), Ok(policy));
        }
        for count in ["0", "-1", "\"three\"", "null"] {
            let text = format!(r#"{{"deadLetterTargetArn":"{ARN}","maxReceiveCount":{count}}}"#);
            assert!(RedrivePolicy::parse(&text).is_err(), "{count}");
        }
    }
}
