//! The events Lambda hands a function: API Gateway's proxy request and the
//! SQS event source mapping's records.

use std::time::Instant;

use aws_sdk_sqs::types::{Message, MessageSystemAttributeName};
use serde_json::{json, Value as Json};

use crate::probes::PATIENCE;
use crate::{LocalAws, Stack};

/// What API Gateway (REST API, Lambda proxy integration) sends for a request
/// to the stage `stage`.
pub fn api_gateway_event(
    stage: &str,
    method: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Json {
    let host = "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com";
    let mut all: Vec<(&str, &str)> = vec![
        ("Host", host),
        ("User-Agent", "OrderApp/1.0 (MAUI; Android 14)"),
        (
            "X-Amzn-Trace-Id",
            "Root=1-66500000-000000000000000000000002",
        ),
        ("X-Forwarded-For", "203.0.113.7"),
        ("X-Forwarded-Port", "443"),
        ("X-Forwarded-Proto", "https"),
    ];
    all.extend_from_slice(headers);
    let single: serde_json::Map<String, Json> = all
        .iter()
        .map(|(k, v)| ((*k).to_owned(), json!(v)))
        .collect();
    let multi: serde_json::Map<String, Json> = all
        .iter()
        .map(|(k, v)| ((*k).to_owned(), json!([v])))
        .collect();
    json!({
        "resource": "/order",
        "path": "/order",
        "httpMethod": method,
        "headers": single,
        "multiValueHeaders": multi,
        "queryStringParameters": null,
        "multiValueQueryStringParameters": null,
        "pathParameters": null,
        "stageVariables": null,
        "requestContext": {
            "resourceId": "x1y2z3",
            "resourcePath": "/order",
            "httpMethod": method,
            "extendedRequestId": "Yq1xTGl2IAMFbQA=",
            "requestTime": "21/Nov/2026:06:00:00 +0000",
            "path": format!("/{stage}/order"),
            "accountId": "123456789012",
            "protocol": "HTTP/1.1",
            "stage": stage,
            "domainPrefix": "a1b2c3d4e5",
            "requestTimeEpoch": 1_795_500_000_000_u64,
            "requestId": uuid::Uuid::new_v4().to_string(),
            "identity": {
                "cognitoIdentityPoolId": null,
                "accountId": null,
                "cognitoIdentityId": null,
                "caller": null,
                "sourceIp": "203.0.113.7",
                "principalOrgId": null,
                "accessKey": null,
                "cognitoAuthenticationType": null,
                "cognitoAuthenticationProvider": null,
                "userArn": null,
                "userAgent": "OrderApp/1.0 (MAUI; Android 14)",
                "user": null
            },
            "domainName": host,
            "apiId": "a1b2c3d4e5"
        },
        "body": body,
        "isBase64Encoded": false
    })
}

/// An SQS message as the event source mapping hands it to the function.
pub fn sqs_record(message: &Message, queue_arn: &str) -> Json {
    let attributes: serde_json::Map<String, Json> = message
        .attributes()
        .map(|attributes| {
            attributes
                .iter()
                .map(|(name, value)| (name.as_str().to_owned(), json!(value)))
                .collect()
        })
        .unwrap_or_default();
    let message_attributes: serde_json::Map<String, Json> = message
        .message_attributes()
        .map(|attributes| {
            attributes
                .iter()
                .map(|(name, value)| {
                    (
                        name.clone(),
                        json!({
                            "stringValue": value.string_value(),
                            "stringListValues": [],
                            "binaryListValues": [],
                            "dataType": value.data_type(),
                        }),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    json!({
        "messageId": message.message_id(),
        "receiptHandle": message.receipt_handle(),
        "body": message.body(),
        "attributes": attributes,
        "messageAttributes": message_attributes,
        "md5OfBody": message.md5_of_body(),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": "us-east-1"
    })
}

/// A record the way a producer that is not ours might have sent it.
pub fn unreadable_record(message_id: &str, queue_arn: &str) -> Json {
    json!({
        "messageId": message_id,
        "receiptHandle": format!("receipt-{message_id}"),
        "body": "order #42 for Ada, please",
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1795500000000",
            "SenderId": "AIDAEXAMPLE",
            "ApproximateFirstReceiveTimestamp": "1795500000001"
        },
        "messageAttributes": {},
        "md5OfBody": "0cd5f1bb38d3e9dc2a7dbd0ff9bc3c58",
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": "us-east-1"
    })
}

/// Waits for the message about `order_id` in a queue, as published (without
/// consuming it: nothing deletes it, and the test stack's short visibility
/// timeout shows it again).
pub async fn message_about(local: &LocalAws, queue_url: &str, order_id: &str) -> Message {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let received = local
            .sqs()
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(2)
            .message_attribute_names("All")
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .unwrap_or_else(|e| panic!("receiving from {queue_url}: {e}"));
        if let Some(message) = received
            .messages
            .unwrap_or_default()
            .into_iter()
            .find(|m| m.body().is_some_and(|b| b.contains(order_id)))
        {
            return message;
        }
        assert!(
            Instant::now() < deadline,
            "no message about order {order_id} in {queue_url}"
        );
    }
}

pub fn queue_arn(stack: &Stack, logical_id: &str) -> String {
    stack
        .template
        .queue(logical_id)
        .map(|q| q.arn.clone())
        .unwrap_or_else(|| panic!("the template has no queue {logical_id}"))
}

/// `event` as API Gateway passes it after its Cognito authorizer admitted the
/// caller: the ID token's claims, every one as text.
pub fn with_claims(mut event: Json, claims: serde_json::Map<String, Json>) -> Json {
    event["requestContext"]["authorizer"] = json!({ "claims": claims });
    event
}

/// The claims of a signed-in customer whose address `email` is verified.
pub fn customer_claims(email: &str) -> serde_json::Map<String, Json> {
    let claims = json!({
        "sub": "7d3f2a9e-5b1c-4e8a-9f00-1c2d3e4f5a6b",
        "email": email,
        "email_verified": "true",
        "token_use": "id",
        "cognito:username": "7d3f2a9e-5b1c-4e8a-9f00-1c2d3e4f5a6b",
    });
    claims.as_object().cloned().unwrap_or_default()
}
