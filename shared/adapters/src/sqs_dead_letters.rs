//! `DeadLetters` on SQS: the original body and message attributes, sent to the
//! dead-letter queue with the failure note as message attributes of its own.

use std::collections::{BTreeMap, HashMap};

use aws_lambda_events::sqs::SqsMessageAttribute;
use aws_sdk_sqs::primitives::Blob;
use aws_sdk_sqs::types::MessageAttributeValue;
use aws_sdk_sqs::Client;

use super::sdk_error::backend_error;
use domain::iso8601;
use ports::{failure_attributes, BackendError, DeadLetter, DeadLetters, FailureNote};

const OPERATION: &str = "DLQ.SendMessage";
/// SQS's limit of message attributes per message.
const MAX_ATTRIBUTES: usize = 10;
/// Keeps a long cause chain from eating the message's 256 KiB.
const MAX_REASON_CHARS: usize = 2000;

#[derive(Debug, Clone)]
pub struct SqsDeadLetters {
    client: Client,
    queue_url: String,
}

impl SqsDeadLetters {
    pub fn new(client: Client, queue_url: impl Into<String>) -> Self {
        SqsDeadLetters {
            client,
            queue_url: queue_url.into(),
        }
    }
}

fn truncated(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

fn note_attributes(
    note: &FailureNote,
) -> Result<HashMap<String, MessageAttributeValue>, BackendError> {
    use failure_attributes::*;
    let reason = truncated(&note.reason, MAX_REASON_CHARS);
    [
        (FAILURE_REASON, "String", reason),
        (FAILURE_KIND, "String", note.kind.as_str().to_owned()),
        (FAILED_AT, "String", iso8601::format(&note.failed_at)),
        (SOURCE_QUEUE, "String", note.source_queue.clone()),
        (SOURCE_MESSAGE_ID, "String", note.message_id.clone()),
        (RECEIVE_COUNT, "Number", note.receive_count.to_string()),
        (COMPONENT, "String", note.component.clone()),
    ]
    .into_iter()
    .map(|(name, data_type, value)| {
        let value = MessageAttributeValue::builder()
            .data_type(data_type)
            .string_value(value)
            .build()
            .map_err(|e| BackendError::new(OPERATION, false, e))?;
        Ok((name.to_owned(), value))
    })
    .collect()
}

/// A Lambda attribute in the SDK's shape; `None` if SQS would refuse it (no type, no value).
fn original(attribute: &SqsMessageAttribute) -> Option<MessageAttributeValue> {
    let builder = MessageAttributeValue::builder().set_data_type(attribute.data_type.clone());
    let builder = match (&attribute.string_value, &attribute.binary_value) {
        (Some(text), _) => builder.string_value(text),
        (None, Some(bytes)) => builder.binary_value(Blob::new(bytes.0.clone())),
        (None, None) => return None,
    };
    builder.build().ok()
}

/// The note's attributes first (it is why the message is there), then the original
/// ones that fit, in name order (stable); a note attribute replaces an original of
/// its name (a redriven failure's new reason).
fn attributes(letter: &DeadLetter) -> Result<HashMap<String, MessageAttributeValue>, BackendError> {
    let mut out = note_attributes(&letter.note)?;
    for (name, attribute) in letter.attributes.iter().collect::<BTreeMap<_, _>>() {
        if out.len() >= MAX_ATTRIBUTES {
            tracing::warn!(attribute = %name, "original attribute dropped: SQS allows 10 per message");
        } else if !out.contains_key(name) {
            if let Some(value) = original(attribute) {
                out.insert(name.clone(), value);
            }
        }
    }
    Ok(out)
}

impl DeadLetters for SqsDeadLetters {
    async fn send(&self, letter: &DeadLetter) -> Result<(), BackendError> {
        self.client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(&letter.body)
            .set_message_attributes(Some(attributes(letter)?))
            .send()
            .await
            .map_err(|e| backend_error(OPERATION, e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use aws_lambda_events::encodings::Base64Data;
    use aws_sdk_sqs::operation::send_message::SendMessageOutput;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};
    use chrono::{TimeZone, Utc};

    use super::failure_attributes::*;
    use super::*;
    use ports::FailureKind;

    fn note() -> FailureNote {
        FailureNote {
            reason: "unreadable message: expected value at line 1 column 1".to_owned(),
            kind: FailureKind::Permanent,
            failed_at: Utc
                .with_ymd_and_hms(2024, 1, 15, 10, 30, 0)
                .single()
                .expect("valid"),
            source_queue: "local-OrderEmailQueue".to_owned(),
            message_id: "msg-1".to_owned(),
            receive_count: 1,
            component: "email-worker".to_owned(),
        }
    }

    fn attribute(value: &str) -> SqsMessageAttribute {
        let mut attribute = SqsMessageAttribute::default();
        attribute.data_type = Some("String".to_owned());
        attribute.string_value = Some(value.to_owned());
        attribute
    }

    #[tokio::test]
    async fn sends_the_original_body_and_attributes_with_the_reason() {
        let rule = mock!(Client::send_message)
            .match_requests(|req| {
                let attrs = req.message_attributes().expect("attributes");
                let text = |name: &str| attrs.get(name).and_then(|v| v.string_value());
                req.queue_url() == Some("http://dlq")
                    && req.message_body() == Some("not json")
                    && text(FAILURE_REASON).is_some_and(|r| r.starts_with("unreadable message"))
                    && text(FAILURE_KIND) == Some("permanent")
                    && text(FAILED_AT) == Some("2024-01-15T10:30:00.000Z")
                    && text(SOURCE_QUEUE) == Some("local-OrderEmailQueue")
                    && text(SOURCE_MESSAGE_ID) == Some("msg-1")
                    && text(RECEIVE_COUNT) == Some("1")
                    && text(COMPONENT) == Some("email-worker")
                    && text("eventType") == Some("ORDER_CREATED")
            })
            .then_output(|| SendMessageOutput::builder().build());
        let client = mock_client!(aws_sdk_sqs, RuleMode::Sequential, [&rule]);
        let letter = DeadLetter {
            body: "not json".to_owned(),
            attributes: HashMap::from([("eventType".to_owned(), attribute("ORDER_CREATED"))]),
            note: note(),
        };

        SqsDeadLetters::new(client, "http://dlq")
            .send(&letter)
            .await
            .expect("sent");

        assert_eq!(rule.num_calls(), 1);
    }

    #[test]
    fn the_reason_wins_over_an_old_one_and_attributes_stay_within_the_limit() {
        let mut originals: HashMap<String, SqsMessageAttribute> = (0..8)
            .map(|i| (format!("extra{i}"), attribute("x")))
            .collect();
        originals.insert(FAILURE_REASON.to_owned(), attribute("an older reason"));
        let mut binary = SqsMessageAttribute::default();
        binary.data_type = Some("Binary".to_owned());
        let mut bytes = Base64Data::default();
        bytes.extend_from_slice(&[1, 2, 3]);
        binary.binary_value = Some(bytes);
        originals.insert("a-binary".to_owned(), binary);
        let letter = DeadLetter {
            body: "{}".to_owned(),
            attributes: originals,
            note: note(),
        };

        let out = attributes(&letter).expect("built");

        assert_eq!(out.len(), MAX_ATTRIBUTES);
        assert!(out[FAILURE_REASON]
            .string_value()
            .is_some_and(|r| r.starts_with("unreadable")));
        assert_eq!(
            out["a-binary"].binary_value().map(|b| b.as_ref().to_vec()),
            Some(vec![1, 2, 3])
        );
    }

    #[test]
    fn a_long_reason_is_cut_on_a_character_boundary() {
        let cut = truncated(&"é".repeat(3000), MAX_REASON_CHARS);
        assert_eq!(cut.chars().count(), MAX_REASON_CHARS + 1);
    }
}
