//! The DynamoDB and SNS adapters of order-api, against the real SDK clients
//! with mocked responses (aws-smithy-mocks). The idempotency store has its
//! own file, `idempotency_adapter.rs`.

use aws_sdk_dynamodb::operation::get_item::GetItemOutput;
use aws_sdk_dynamodb::operation::put_item::{PutItemError, PutItemOutput};
use aws_sdk_dynamodb::types::error::ConditionalCheckFailedException;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_sns::error::ErrorMetadata;
use aws_sdk_sns::operation::publish::{PublishError, PublishOutput};
use aws_sdk_sns::types::error::{InternalErrorException, NotFoundException};
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use chrono::{TimeZone, Utc};
use shared::adapters::{DynamoDbOrderRepository, SnsEventPublisher};
use shared::domain::{parse_order, OrderId};
use shared::event::OrderCreated;
use shared::ports::{EventPublisher, OrderRecord, OrderRepository, RepositoryError};
use uuid::Uuid;

fn record() -> OrderRecord {
    let order = parse_order(
        br#"{"customerName":"Ada Lovelace","customerEmail":"ada@example.com",
             "items":[{"productId":"P-1","quantity":3,"price":0.10}]}"#,
    )
    .expect("a valid order");
    OrderRecord {
        order: order.accept(
            OrderId::random(),
            Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap(),
        ),
        event_id: Uuid::new_v4(),
        published: false,
        published_at: None,
    }
}

fn conditional_check_failed() -> PutItemError {
    PutItemError::ConditionalCheckFailedException(
        ConditionalCheckFailedException::builder().build(),
    )
}

#[tokio::test]
async fn stores_an_order_with_exact_money_and_iso_dates_only_if_new() {
    let put = mock!(aws_sdk_dynamodb::Client::put_item)
        .match_requests(|req| {
            let item = req.item().unwrap();
            req.condition_expression() == Some("attribute_not_exists(OrderId)")
                && item["TotalAmount"] == AttributeValue::N("0.3".into())
                && item["CreatedAt"] == AttributeValue::S("2026-01-02T03:04:05.000Z".into())
                && item["Published"] == AttributeValue::Bool(false)
                && item["OutboxPending"] == AttributeValue::S("PENDING".into())
                && !item.contains_key("PublishedAt")
                && item["CustomerEmail"] == AttributeValue::S("ada@example.com".into())
                && !item.contains_key("CustomerId")
        })
        .then_output(|| PutItemOutput::builder().build());
    let client = mock_client!(aws_sdk_dynamodb, [&put]);
    DynamoDbOrderRepository::new(client, "t-Orders")
        .insert(&record())
        .await
        .unwrap();
    assert_eq!(put.num_calls(), 1);
}

#[tokio::test]
async fn marking_an_order_published_says_when_and_takes_it_out_of_the_outbox() {
    let id = OrderId::random();
    let mark = mock!(aws_sdk_dynamodb::Client::update_item)
        .match_requests(move |req| {
            let values = req.expression_attribute_values().unwrap();
            req.key().unwrap()["OrderId"] == AttributeValue::S(id.to_string())
                && req.update_expression()
                    == Some("SET Published = :true, PublishedAt = :now REMOVE OutboxPending")
                && req.condition_expression() == Some("attribute_exists(OrderId)")
                && values[":now"].as_s().is_ok_and(|at| at.ends_with('Z'))
        })
        .then_output(|| {
            aws_sdk_dynamodb::operation::update_item::UpdateItemOutput::builder().build()
        });
    let client = mock_client!(aws_sdk_dynamodb, [&mark]);

    DynamoDbOrderRepository::new(client, "t-Orders")
        .mark_published(id)
        .await
        .unwrap();

    assert_eq!(mark.num_calls(), 1);
}

#[tokio::test]
async fn a_failed_conditional_put_means_the_order_exists() {
    let put = mock!(aws_sdk_dynamodb::Client::put_item).then_error(conditional_check_failed);
    let client = mock_client!(aws_sdk_dynamodb, [&put]);
    let record = record();
    let err = DynamoDbOrderRepository::new(client, "t-Orders")
        .insert(&record)
        .await
        .unwrap_err();
    assert!(matches!(err, RepositoryError::AlreadyExists(id) if id == record.order.order_id));
}

#[tokio::test]
async fn reads_back_the_order_it_stored() {
    let record = record();
    let item: std::collections::HashMap<String, AttributeValue> =
        serde_dynamo::to_item(shared::adapters::OrderItem::from(&record)).unwrap();
    let get = mock!(aws_sdk_dynamodb::Client::get_item)
        .match_requests(|req| req.consistent_read() == Some(true))
        .then_output(move || {
            GetItemOutput::builder()
                .set_item(Some(item.clone()))
                .build()
        });
    let client = mock_client!(aws_sdk_dynamodb, [&get]);
    let read = DynamoDbOrderRepository::new(client, "t-Orders")
        .get(record.order.order_id)
        .await
        .unwrap();
    assert_eq!(read, Some(record));
}

#[tokio::test]
async fn publishes_the_event_with_its_type_as_a_message_attribute() {
    let record = record();
    let event = OrderCreated::new(record.event_id, "corr-1", record.order.clone());
    let expected_body = event.to_json();
    let publish = mock!(aws_sdk_sns::Client::publish)
        .match_requests(move |req| {
            let attributes = req.message_attributes().unwrap();
            req.topic_arn() == Some("arn:topic")
                && req.message() == Some(expected_body.as_str())
                && attributes["eventType"].string_value() == Some("ORDER_CREATED")
                && attributes["correlationId"].string_value() == Some("corr-1")
        })
        .then_output(|| PublishOutput::builder().message_id("m-1").build());
    let client = mock_client!(aws_sdk_sns, [&publish]);
    SnsEventPublisher::new(client, "arn:topic")
        .publish(&event)
        .await
        .unwrap();
    assert_eq!(publish.num_calls(), 1);
}

#[tokio::test]
async fn a_failed_publish_is_an_error_that_says_whether_to_retry() {
    let record = record();
    let event = OrderCreated::new(record.event_id, "corr-1", record.order);
    let meta = |code: &str| {
        ErrorMetadata::builder()
            .code(code)
            .message("Topic does not exist")
            .build()
    };
    let missing = mock!(aws_sdk_sns::Client::publish).then_error(move || {
        PublishError::NotFoundException(NotFoundException::builder().meta(meta("NotFound")).build())
    });
    let internal = mock!(aws_sdk_sns::Client::publish).then_error(move || {
        PublishError::InternalErrorException(
            InternalErrorException::builder()
                .meta(meta("InternalError"))
                .build(),
        )
    });
    let client = mock_client!(aws_sdk_sns, RuleMode::Sequential, [&missing, &internal]);
    let publisher = SnsEventPublisher::new(client, "arn:topic");

    let err = publisher.publish(&event).await.unwrap_err();
    assert!(!err.transient);
    let chain = shared::telemetry::error_chain(&err);
    assert!(
        chain.contains("NotFound") && chain.contains("Topic does not exist"),
        "{chain}"
    );

    let err = publisher.publish(&event).await.unwrap_err();
    assert!(err.transient, "an internal error of SNS is worth a retry");
}
