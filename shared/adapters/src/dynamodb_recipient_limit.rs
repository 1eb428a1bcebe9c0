//! `RecipientLimit` on the idempotency table: one item per hashed address (no
//! address in the keys) and hour, holding the event ids mailed in that hour.
//! One conditional `ADD` counts an event only while the set is under the limit
//! or already holds it, so a redelivery never counts twice; TTL ends it a day on.

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::sdk_error::backend_error;
use domain::CustomerEmail;
use ports::{Admission, BackendError, RecipientLimit};

/// How long an hour's count is kept after the hour: it only needs to outlive it.
const KEEP_SECONDS: i64 = 24 * 3600;

#[derive(Debug, Clone)]
pub struct DynamoDbRecipientLimit {
    client: Client,
    table: String,
    per_hour: u32,
}

impl DynamoDbRecipientLimit {
    pub fn new(client: Client, table: impl Into<String>, per_hour: u32) -> Self {
        DynamoDbRecipientLimit {
            client,
            table: table.into(),
            per_hour,
        }
    }
}

/// `email-limit#<sha256(address)>#<yyyy-mm-ddThh>`.
fn limit_key(to: &CustomerEmail, now: DateTime<Utc>) -> String {
    let digest = ports::digest::sha256_hex(to.as_str().to_ascii_lowercase().as_bytes());
    format!("email-limit#{digest}#{}", now.format("%Y-%m-%dT%H"))
}

impl RecipientLimit for DynamoDbRecipientLimit {
    async fn admit(
        &self,
        to: &CustomerEmail,
        event_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Admission, BackendError> {
        let event = event_id.to_string();
        let expires = now.timestamp() + KEEP_SECONDS;
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("Id", AttributeValue::S(limit_key(to, now)))
            .update_expression("ADD Events :event SET ExpiresAt = if_not_exists(ExpiresAt, :expires)")
            .condition_expression(
                "attribute_not_exists(Events) OR size(Events) < :limit OR contains(Events, :event_id)",
            )
            .expression_attribute_values(":event", AttributeValue::Ss(vec![event.clone()]))
            .expression_attribute_values(":event_id", AttributeValue::S(event))
            .expression_attribute_values(":limit", AttributeValue::N(self.per_hour.to_string()))
            .expression_attribute_values(":expires", AttributeValue::N(expires.to_string()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(Admission::Admitted),
            Err(e) => match e.as_service_error() {
                Some(s) if s.is_conditional_check_failed_exception() => Ok(Admission::OverLimit {
                    limit: self.per_hour,
                }),
                _ => Err(backend_error("Idempotency.UpdateItem", e)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_dynamodb::operation::update_item::{UpdateItemError, UpdateItemOutput};
    use aws_sdk_dynamodb::types::error::ConditionalCheckFailedException;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};
    use chrono::TimeZone;

    use super::*;

    fn ada() -> CustomerEmail {
        CustomerEmail::parse("Ada@example.com").expect("valid")
    }

    #[test]
    fn the_key_holds_a_hash_of_the_address_and_the_hour_never_the_address() {
        let at = Utc.with_ymd_and_hms(2026, 12, 3, 9, 59, 0).unwrap();
        let key = limit_key(&ada(), at);
        assert!(
            key.starts_with("email-limit#") && key.ends_with("#2026-12-03T09"),
            "{key}"
        );
        assert!(!key.to_lowercase().contains("ada"), "{key}");
        let same = CustomerEmail::parse("ada@EXAMPLE.com").expect("valid");
        assert_eq!(
            limit_key(&same, at),
            key,
            "one count per address, whatever its case"
        );
    }

    #[tokio::test]
    async fn counts_an_event_once_and_refuses_past_the_limit() {
        let event = Uuid::new_v4();
        let admitted = mock!(Client::update_item)
            .match_requests(move |req| {
                let values = req.expression_attribute_values().expect("values");
                req.condition_expression().is_some_and(|c| {
                    c.contains("size(Events) < :limit") && c.contains("contains(Events, :event_id)")
                }) && values[":limit"] == AttributeValue::N("5".into())
                    && values[":event"] == AttributeValue::Ss(vec![event.to_string()])
            })
            .then_output(|| UpdateItemOutput::builder().build());
        let refused = mock!(Client::update_item).then_error(|| {
            UpdateItemError::ConditionalCheckFailedException(
                ConditionalCheckFailedException::builder().build(),
            )
        });
        let client = mock_client!(
            aws_sdk_dynamodb,
            RuleMode::Sequential,
            [&admitted, &refused]
        );
        let limit = DynamoDbRecipientLimit::new(client, "t-Idempotency", 5);

        assert_eq!(
            limit.admit(&ada(), event, Utc::now()).await.unwrap(),
            Admission::Admitted
        );
        assert_eq!(
            limit
                .admit(&ada(), Uuid::new_v4(), Utc::now())
                .await
                .unwrap(),
            Admission::OverLimit { limit: 5 }
        );
    }
}
