//! The DynamoDB and SNS adapters of order-api, against the real SDK clients
//! with mocked responses (aws-smithy-mocks). The idempotency store has its
//! own file, `idempotency_adapter.rs`.

use std::collections::HashMap;

use adapters::{DynamoDbOrderRepository, SnsEventPublisher};
use aws_sdk_dynamodb::operation::batch_get_item::BatchGetItemOutput;
use aws_sdk_dynamodb::operation::get_item::GetItemOutput;
use aws_sdk_dynamodb::operation::put_item::{PutItemError, PutItemOutput};
use aws_sdk_dynamodb::operation::query::QueryOutput;
use aws_sdk_dynamodb::types::error::ConditionalCheckFailedException;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::types::{KeysAndAttributes, ReturnValuesOnConditionCheckFailure};
use aws_sdk_sns::error::ErrorMetadata;
use aws_sdk_sns::operation::publish::{PublishError, PublishOutput};
use aws_sdk_sns::operation::publish_batch::PublishBatchOutput;
use aws_sdk_sns::types::error::{InternalErrorException, NotFoundException};
use aws_sdk_sns::types::{BatchResultErrorEntry, PublishBatchResultEntry};
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use chrono::{TimeZone, Utc};
use domain::{parse_order, OrderId};
use ports::event::OrderCreated;
use ports::{
    outbox_shard, EventPublisher, Fetched, Inserted, OrderRecord, OrderRepository, Outbox,
    PageToken, Pending,
};
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
        fingerprint: None,
    }
}

/// DynamoDB's refusal of a conditional put, with the item it found (as
/// `ReturnValuesOnConditionCheckFailure: ALL_OLD` asks) or without.
fn conditional_check_failed(found: Option<&OrderRecord>) -> PutItemError {
    let item = found.map(|record| {
        serde_dynamo::to_item(adapters::OrderItem::from(record)).expect("an order item")
    });
    PutItemError::ConditionalCheckFailedException(
        ConditionalCheckFailedException::builder()
            .set_item(item)
            .build(),
    )
}

#[tokio::test]
async fn stores_an_order_with_exact_money_and_iso_dates_only_if_new() {
    let record = record();
    let shard = format!("PENDING#{}", outbox_shard(record.order.order_id));
    let put = mock!(aws_sdk_dynamodb::Client::put_item)
        .match_requests(move |req| {
            let item = req.item().unwrap();
            req.condition_expression() == Some("attribute_not_exists(OrderId)")
                && req.return_values_on_condition_check_failure()
                    == Some(&ReturnValuesOnConditionCheckFailure::AllOld)
                && item["TotalAmount"] == AttributeValue::N("0.3".into())
                && item["CreatedAt"] == AttributeValue::S("2026-01-02T03:04:05.000Z".into())
                && item["Published"] == AttributeValue::Bool(false)
                && item["OutboxPending"] == AttributeValue::S(shard.clone())
                && !item.contains_key("PublishedAt")
                && item["CustomerEmail"] == AttributeValue::S("ada@example.com".into())
                && !item.contains_key("CustomerId")
                && !item.contains_key("Fingerprint")
        })
        .then_output(|| PutItemOutput::builder().build());
    let client = mock_client!(aws_sdk_dynamodb, [&put]);
    let inserted = DynamoDbOrderRepository::new(client, "t-Orders")
        .insert(&record)
        .await
        .unwrap();
    assert_eq!(inserted, Inserted::Stored);
    assert_eq!(put.num_calls(), 1);
}

#[tokio::test]
async fn an_order_placed_under_a_key_is_stored_with_its_requests_fingerprint() {
    let record = OrderRecord {
        fingerprint: Some("5e1f".to_owned()),
        ..record()
    };
    let put = mock!(aws_sdk_dynamodb::Client::put_item)
        .match_requests(|req| {
            req.item().unwrap()["Fingerprint"] == AttributeValue::S("5e1f".into())
        })
        .then_output(|| PutItemOutput::builder().build());
    let client = mock_client!(aws_sdk_dynamodb, [&put]);
    DynamoDbOrderRepository::new(client, "t-Orders")
        .insert(&record)
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
async fn a_taken_id_answers_the_order_stored_under_it_in_one_call() {
    let ours = record();
    let theirs = OrderRecord {
        event_id: Uuid::new_v4(),
        published: true,
        fingerprint: Some("an earlier request".to_owned()),
        ..ours.clone()
    };
    let found = theirs.clone();
    let put = mock!(aws_sdk_dynamodb::Client::put_item)
        .then_error(move || conditional_check_failed(Some(&found)));
    let client = mock_client!(aws_sdk_dynamodb, [&put]);
    let inserted = DynamoDbOrderRepository::new(client, "t-Orders")
        .insert(&ours)
        .await
        .unwrap();
    assert_eq!(inserted, Inserted::Exists(theirs));
    assert_eq!(put.num_calls(), 1, "no second call to read it");
}

#[tokio::test]
async fn a_taken_id_refused_without_its_item_is_read_consistently() {
    let record = record();
    let item: HashMap<String, AttributeValue> =
        serde_dynamo::to_item(adapters::OrderItem::from(&record)).unwrap();
    let put =
        mock!(aws_sdk_dynamodb::Client::put_item).then_error(|| conditional_check_failed(None));
    let get = mock!(aws_sdk_dynamodb::Client::get_item)
        .match_requests(|req| req.consistent_read() == Some(true))
        .then_output(move || {
            GetItemOutput::builder()
                .set_item(Some(item.clone()))
                .build()
        });
    let client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&put, &get]);
    let inserted = DynamoDbOrderRepository::new(client, "t-Orders")
        .insert(&record)
        .await
        .unwrap();
    assert_eq!(inserted, Inserted::Exists(record));
}

#[tokio::test]
async fn reads_back_the_order_it_stored() {
    let record = record();
    let item: std::collections::HashMap<String, AttributeValue> =
        serde_dynamo::to_item(adapters::OrderItem::from(&record)).unwrap();
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
                && req
                    .message_group_id()
                    .is_some_and(|g| g.starts_with("customer-") && !g.contains('@'))
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
    let chain = ports::error_chain(&err);
    assert!(
        chain.contains("NotFound") && chain.contains("Topic does not exist"),
        "{chain}"
    );

    let err = publisher.publish(&event).await.unwrap_err();
    assert!(err.transient, "an internal error of SNS is worth a retry");
}

fn key_item(order_id: &str, shard: &str, created_at: &str) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("OrderId".to_owned(), AttributeValue::S(order_id.to_owned())),
        (
            "OutboxPending".to_owned(),
            AttributeValue::S(shard.to_owned()),
        ),
        (
            "CreatedAt".to_owned(),
            AttributeValue::S(created_at.to_owned()),
        ),
    ])
}

#[tokio::test]
async fn reads_a_shard_of_the_backlog_a_page_at_a_time_and_names_an_unreadable_entry() {
    let good = OrderId::random();
    let first_page = {
        let good = good.to_string();
        mock!(aws_sdk_dynamodb::Client::query)
            .match_requests(|req| {
                req.index_name() == Some("UnpublishedIndex")
                    && req.expression_attribute_values().unwrap()[":pending"]
                        == AttributeValue::S("PENDING#7".into())
                    && req.exclusive_start_key().is_none()
            })
            .then_output(move || {
                QueryOutput::builder()
                    .items(key_item(
                        "not-a-uuid",
                        "PENDING#7",
                        "2026-01-01T00:00:00.000Z",
                    ))
                    .items(key_item(&good, "PENDING#7", "2026-01-01T00:00:01.000Z"))
                    .set_last_evaluated_key(Some(key_item(
                        &good,
                        "PENDING#7",
                        "2026-01-01T00:00:01.000Z",
                    )))
                    .build()
            })
    };
    let second_page = {
        let good = good.to_string();
        mock!(aws_sdk_dynamodb::Client::query)
            .match_requests(move |req| {
                req.exclusive_start_key()
                    == Some(&key_item(&good, "PENDING#7", "2026-01-01T00:00:01.000Z"))
            })
            .then_output(|| QueryOutput::builder().build())
    };
    let client = mock_client!(
        aws_sdk_dynamodb,
        RuleMode::Sequential,
        [&first_page, &second_page]
    );
    let orders = DynamoDbOrderRepository::new(client, "t-Orders");

    let page = orders.unpublished(7, None, 100).await.unwrap();
    assert_eq!(page.entries.len(), 2);
    assert!(
        matches!(&page.entries[0], Pending::Unreadable { key, .. } if key.contains("OrderId=not-a-uuid")),
        "{:?}",
        page.entries[0]
    );
    assert!(matches!(&page.entries[1], Pending::Order(p) if p.order_id == good));
    let next: Option<&PageToken> = page.next.as_ref();
    let last = orders.unpublished(7, next, 100).await.unwrap();
    assert!(last.entries.is_empty() && last.next.is_none());
    assert_eq!(
        second_page.num_calls(),
        1,
        "the page started where the first ended"
    );
}

#[tokio::test]
async fn reads_orders_ten_at_a_time_asking_again_for_what_dynamodb_left_unprocessed() {
    let (found, unreadable, missing) = (record(), OrderId::random(), OrderId::random());
    let item: HashMap<String, AttributeValue> =
        serde_dynamo::to_item(adapters::OrderItem::from(&found)).unwrap();
    let broken = HashMap::from([(
        "OrderId".to_owned(),
        AttributeValue::S(unreadable.to_string()),
    )]);
    let unprocessed = HashMap::from([(
        "OrderId".to_owned(),
        AttributeValue::S(unreadable.to_string()),
    )]);
    let first = mock!(aws_sdk_dynamodb::Client::batch_get_item)
        .match_requests(|req| {
            let keys = &req.request_items().unwrap()["t-Orders"];
            keys.consistent_read() == Some(true) && keys.keys().len() == 3
        })
        .then_output(move || {
            BatchGetItemOutput::builder()
                .responses("t-Orders", vec![item.clone()])
                .unprocessed_keys(
                    "t-Orders",
                    KeysAndAttributes::builder()
                        .keys(unprocessed.clone())
                        .build()
                        .unwrap(),
                )
                .build()
        });
    let again = mock!(aws_sdk_dynamodb::Client::batch_get_item)
        .match_requests(|req| req.request_items().unwrap()["t-Orders"].keys().len() == 1)
        .then_output(move || {
            BatchGetItemOutput::builder()
                .responses("t-Orders", vec![broken.clone()])
                .build()
        });
    let client = mock_client!(aws_sdk_dynamodb, RuleMode::Sequential, [&first, &again]);

    let mut fetched = DynamoDbOrderRepository::new(client, "t-Orders")
        .get_many(&[found.order.order_id, unreadable, missing])
        .await
        .unwrap();
    fetched.sort_by_key(|f| format!("{f:?}").len());

    assert_eq!(fetched.len(), 3);
    assert!(fetched.contains(&Fetched::Found(found)));
    assert!(fetched.contains(&Fetched::Missing(missing)));
    assert!(fetched
        .iter()
        .any(|f| matches!(f, Fetched::Unreadable { order_id, .. } if *order_id == unreadable)));
}

#[tokio::test]
async fn publishes_a_batch_in_one_call_and_reports_each_entry() {
    let events: Vec<OrderCreated> = (0..3)
        .map(|_| {
            let record = record();
            OrderCreated::new(record.event_id, "corr-1", record.order)
        })
        .collect();
    let bodies: Vec<String> = events.iter().map(OrderCreated::to_json).collect();
    let batch = mock!(aws_sdk_sns::Client::publish_batch)
        .match_requests(move |req| {
            let entries = req.publish_batch_request_entries();
            entries.len() == 3
                && entries.iter().enumerate().all(|(i, e)| {
                    e.id() == i.to_string()
                        && e.message() == bodies[i]
                        && e.message_attributes().unwrap()["eventType"].string_value()
                            == Some("ORDER_CREATED")
                })
        })
        .then_output(|| {
            PublishBatchOutput::builder()
                .successful(PublishBatchResultEntry::builder().id("0").build())
                .successful(PublishBatchResultEntry::builder().id("2").build())
                .failed(
                    BatchResultErrorEntry::builder()
                        .id("1")
                        .code("InternalError")
                        .sender_fault(false)
                        .build()
                        .unwrap(),
                )
                .build()
        });
    let client = mock_client!(aws_sdk_sns, [&batch]);

    let results = SnsEventPublisher::new(client, "arn:topic")
        .publish_batch(&events)
        .await
        .unwrap();

    assert!(results[0].is_ok() && results[2].is_ok());
    let failed = results[1].as_ref().unwrap_err();
    assert!(failed.transient, "SNS's own fault is worth another sweep");
    assert_eq!(batch.num_calls(), 1);
}

#[tokio::test]
async fn marks_a_batch_published_by_writing_each_order_back_published_in_one_call() {
    let records: Vec<OrderRecord> = (0..3).map(|_| record()).collect();
    let expected: Vec<String> = records
        .iter()
        .map(|r| r.order.order_id.to_string())
        .collect();
    let mark = mock!(aws_sdk_dynamodb::Client::batch_write_item)
        .match_requests(move |req| {
            let writes = &req.request_items().unwrap()["t-Orders"];
            let ids: Vec<String> = writes
                .iter()
                .map(|w| {
                    let item = w.put_request().unwrap().item();
                    assert_eq!(item["Published"], AttributeValue::Bool(true));
                    assert!(item.contains_key("PublishedAt"));
                    assert!(!item.contains_key("OutboxPending"), "still in the backlog");
                    item["OrderId"].as_s().unwrap().clone()
                })
                .collect();
            ids == expected
        })
        .then_output(|| {
            aws_sdk_dynamodb::operation::batch_write_item::BatchWriteItemOutput::builder().build()
        });
    let client = mock_client!(aws_sdk_dynamodb, [&mark]);

    DynamoDbOrderRepository::new(client, "t-Orders")
        .mark_many_published(&records)
        .await
        .unwrap();

    assert_eq!(mark.num_calls(), 1);
}

#[tokio::test]
async fn a_mark_left_unprocessed_is_written_again_and_then_reported_as_throttling() {
    let record = record();
    let left = {
        let record = record.clone();
        move || {
            let item = serde_dynamo::to_item(adapters::OrderItem::from(&record)).unwrap();
            let put = aws_sdk_dynamodb::types::PutRequest::builder()
                .set_item(Some(item))
                .build()
                .unwrap();
            aws_sdk_dynamodb::operation::batch_write_item::BatchWriteItemOutput::builder()
                .unprocessed_items(
                    "t-Orders",
                    vec![aws_sdk_dynamodb::types::WriteRequest::builder()
                        .put_request(put)
                        .build()],
                )
                .build()
        }
    };
    let mark = mock!(aws_sdk_dynamodb::Client::batch_write_item)
        .sequence()
        .output(left)
        .times(5)
        .build();
    let client = mock_client!(aws_sdk_dynamodb, [&mark]);

    let err = DynamoDbOrderRepository::new(client, "t-Orders")
        .mark_many_published(std::slice::from_ref(&record))
        .await
        .unwrap_err();

    assert_eq!(mark.num_calls(), 5);
    let ports::RepositoryError::Backend(backend) = err;
    assert_eq!(backend.fault, ports::Fault::Throttled);
}

#[tokio::test]
async fn the_shard_after_the_last_is_the_index_key_from_before_it_was_sharded() {
    let legacy = mock!(aws_sdk_dynamodb::Client::query)
        .match_requests(|req| {
            req.expression_attribute_values().unwrap()[":pending"]
                == AttributeValue::S("PENDING".into())
        })
        .then_output(|| QueryOutput::builder().build());
    let client = mock_client!(aws_sdk_dynamodb, [&legacy]);

    DynamoDbOrderRepository::new(client, "t-Orders")
        .unpublished(ports::LEGACY_SHARD, None, 100)
        .await
        .unwrap();

    assert_eq!(legacy.num_calls(), 1);
}

#[test]
fn an_order_line_is_stored_under_the_reference_attribute_names_and_reads_back() {
    let record = record();
    let item: HashMap<String, AttributeValue> =
        serde_dynamo::to_item(adapters::OrderItem::from(&record)).expect("an order item");
    let lines = item["Items"].as_l().expect("a list");
    let line = lines[0].as_m().expect("a map");
    assert_eq!(line["ProductId"], AttributeValue::S("P-1".into()));
    assert_eq!(line["Quantity"], AttributeValue::N("3".into()));
    assert_eq!(line["Price"], AttributeValue::N("0.1".into()));
    assert_eq!(line["Subtotal"], AttributeValue::N("0.3".into()));
    assert!(!line.contains_key("ProductName"), "{line:?}");
    let back: adapters::OrderItem = serde_dynamo::from_item(item).expect("reads back");
    assert_eq!(OrderRecord::from(back), record);
}
