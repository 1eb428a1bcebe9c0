//! `DynamoDbIdempotencyStore` against the real SDK client with mocked
//! responses: the conditions it writes, and what it makes of the record a
//! failed condition returns (`ReturnValuesOnConditionCheckFailure=ALL_OLD`).

use std::collections::HashMap;
use std::time::Duration;

use adapters::DynamoDbIdempotencyStore;
use aws_sdk_dynamodb::operation::put_item::PutItemOutput;
use aws_sdk_dynamodb::operation::update_item::{UpdateItemError, UpdateItemOutput};
use aws_sdk_dynamodb::types::error::ConditionalCheckFailedException;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use chrono::{DateTime, TimeZone, Utc};
use ports::{Claim, ClaimRequest, ClaimToken, Completion, IdempotencyStore};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

fn store(client: aws_sdk_dynamodb::Client) -> DynamoDbIdempotencyStore {
    DynamoDbIdempotencyStore::new(client, "t-Idempotency", Duration::from_secs(3600))
}

fn request(token: ClaimToken) -> ClaimRequest<'static> {
    ClaimRequest {
        key: "k",
        fingerprint: "fp",
        pending: "mine",
        token,
        hold_until: now() + chrono::Duration::seconds(10),
        now: now(),
    }
}

fn s(text: &str) -> AttributeValue {
    AttributeValue::S(text.to_owned())
}

fn n(number: i64) -> AttributeValue {
    AttributeValue::N(number.to_string())
}

/// A stored record, as DynamoDB returns it.
fn record(
    status: &str,
    fingerprint: &str,
    token: &str,
    lock: i64,
) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("Id".to_owned(), s("k")),
        ("Fingerprint".to_owned(), s(fingerprint)),
        ("Status".to_owned(), s(status)),
        ("Token".to_owned(), s(token)),
        ("Pending".to_owned(), s("first-order")),
        ("Result".to_owned(), s("{\"orderId\":\"x\"}")),
        ("LockExpiresAt".to_owned(), n(lock)),
        ("ExpiresAt".to_owned(), n(now().timestamp() + 3000)),
    ])
}

/// The answer to a conditional write that met `found`.
fn refused(found: HashMap<String, AttributeValue>) -> UpdateItemError {
    UpdateItemError::ConditionalCheckFailedException(
        ConditionalCheckFailedException::builder()
            .message("The conditional request failed")
            .set_item(Some(found))
            .build(),
    )
}

fn acquired(pending: &str) -> UpdateItemOutput {
    UpdateItemOutput::builder()
        .set_attributes(Some(HashMap::from([("Pending".to_owned(), s(pending))])))
        .build()
}

fn client(rules: &[&aws_smithy_mocks::Rule]) -> aws_sdk_dynamodb::Client {
    mock_client!(aws_sdk_dynamodb, RuleMode::Sequential, rules, |c| c
        .retry_config(
            aws_sdk_dynamodb::config::retry::RetryConfig::disabled()
        ))
}

#[tokio::test]
async fn a_claim_is_one_conditional_write_holding_the_key_for_its_token_until_its_deadline() {
    let token = ClaimToken::random();
    let claim = mock!(aws_sdk_dynamodb::Client::update_item)
        .match_requests(move |req| {
            let condition = req.condition_expression().unwrap_or_default();
            let values = req.expression_attribute_values().expect("values");
            condition.contains("attribute_not_exists(Id)")
                && condition.contains("#token = :token AND #status = :in_progress")
                && condition.contains("#status <> :completed AND LockExpiresAt <= :now")
                && condition.contains("ExpiresAt > :now")
                && req
                    .update_expression()
                    .is_some_and(|u| u.contains("Pending = if_not_exists(Pending, :pending)"))
                && values[":token"] == s(&token.to_string())
                && values[":hold"] == n(now().timestamp() + 10)
                && values[":now"] == n(now().timestamp())
                && req.return_values_on_condition_check_failure()
                    == Some(&ReturnValuesOnConditionCheckFailure::AllOld)
        })
        .then_output(|| acquired("mine"));
    let store = store(client(&[&claim]));

    assert_eq!(
        store.claim(&request(token)).await.unwrap(),
        Claim::Acquired {
            pending: "mine".into()
        }
    );
    assert_eq!(claim.num_calls(), 1);
}

#[tokio::test]
async fn a_hold_is_rounded_up_and_now_down_so_no_hold_lapses_before_its_instant() {
    // 0.9 s into a second, a hold that runs 0.4 s more: written as the next
    // whole second, and "now" as this one, so the hold is not yet lapsed.
    let now = now() + chrono::Duration::milliseconds(900);
    let hold_until = now + chrono::Duration::milliseconds(400);
    let claim = mock!(aws_sdk_dynamodb::Client::update_item)
        .match_requests(move |req| {
            let values = req.expression_attribute_values().expect("values");
            values[":hold"] == n(hold_until.timestamp() + 1) && values[":now"] == n(now.timestamp())
        })
        .then_output(|| acquired("mine"));
    let store = store(client(&[&claim]));

    store
        .claim(&ClaimRequest {
            hold_until,
            now,
            ..request(ClaimToken::random())
        })
        .await
        .unwrap();
    assert_eq!(claim.num_calls(), 1, "the write rounded both ways");
}

#[tokio::test]
async fn a_retry_after_a_lost_reply_finds_its_own_claim_and_carries_on() {
    // The first write succeeded but its reply was lost; the retry of the same
    // write meets the token it wrote, which the condition accepts, and gets
    // back the first attempt's pending work.
    let token = ClaimToken::random();
    let retried = mock!(aws_sdk_dynamodb::Client::update_item)
        .match_requests(move |req| {
            req.expression_attribute_values().expect("values")[":token"] == s(&token.to_string())
        })
        .then_output(|| acquired("first-order"));
    let store = store(client(&[&retried]));

    assert_eq!(
        store.claim(&request(token)).await.unwrap(),
        Claim::Acquired {
            pending: "first-order".into()
        }
    );
}

#[tokio::test]
async fn a_refused_claim_is_decided_from_the_record_the_write_met() {
    let later = now().timestamp() + 8;
    let cases = [
        (
            record("COMPLETED", "fp", "other", 0),
            Claim::Completed {
                result: "{\"orderId\":\"x\"}".into(),
            },
        ),
        (
            record("COMPLETED", "another-body", "other", 0),
            Claim::Mismatch,
        ),
        (
            record("IN_PROGRESS", "fp", "other", later),
            Claim::InProgress {
                until: Utc.timestamp_opt(later, 0).unwrap(),
            },
        ),
    ];
    for (found, expected) in cases {
        let rule =
            mock!(aws_sdk_dynamodb::Client::update_item).then_error(move || refused(found.clone()));
        let store = store(client(&[&rule]));

        assert_eq!(
            store.claim(&request(ClaimToken::random())).await.unwrap(),
            expected
        );
        assert_eq!(
            rule.num_calls(),
            1,
            "no second read: the refusal carries the record"
        );
    }
}

#[tokio::test]
async fn an_expired_record_is_replaced_by_a_fresh_claim_not_left_to_the_ttl_sweep() {
    let mut expired = record("COMPLETED", "another-body", "other", 0);
    expired.insert("ExpiresAt".to_owned(), n(now().timestamp() - 5));
    let refused_rule =
        mock!(aws_sdk_dynamodb::Client::update_item).then_error(move || refused(expired.clone()));
    let replace = mock!(aws_sdk_dynamodb::Client::put_item)
        .match_requests(|req| {
            req.condition_expression() == Some("ExpiresAt = :seen")
                && req.expression_attribute_values().expect("values")[":seen"]
                    == n(now().timestamp() - 5)
                && req.item().expect("item")["Pending"] == s("mine")
        })
        .then_output(|| PutItemOutput::builder().build());
    let store = store(client(&[&refused_rule, &replace]));

    assert_eq!(
        store.claim(&request(ClaimToken::random())).await.unwrap(),
        Claim::Acquired {
            pending: "mine".into()
        }
    );
    assert_eq!(replace.num_calls(), 1);
}

#[tokio::test]
async fn completing_and_releasing_are_conditioned_on_the_token() {
    let token = ClaimToken::random();
    let condition_is_ours =
        move |req: &aws_sdk_dynamodb::operation::update_item::UpdateItemInput| {
            req.condition_expression() == Some("#token = :token AND #status = :in_progress")
                && req.expression_attribute_values().expect("values")[":token"]
                    == s(&token.to_string())
        };
    let complete = mock!(aws_sdk_dynamodb::Client::update_item)
        .match_requests(move |req| {
            condition_is_ours(req)
                && req
                    .update_expression()
                    .is_some_and(|u| u.contains("#status = :completed"))
        })
        .then_output(|| UpdateItemOutput::builder().build());
    let release = mock!(aws_sdk_dynamodb::Client::update_item)
        .match_requests(move |req| {
            condition_is_ours(req)
                && req
                    .update_expression()
                    .is_some_and(|u| u.contains("#status = :released"))
        })
        .then_output(|| UpdateItemOutput::builder().build());
    let store = store(client(&[&complete, &release]));

    assert_eq!(
        store.complete("k", token, "ses-1", now()).await.unwrap(),
        Completion::Recorded
    );
    store.release("k", token).await.unwrap();
    assert_eq!((complete.num_calls(), release.num_calls()), (1, 1));
}

#[tokio::test]
async fn a_late_attempt_never_records_over_or_frees_the_claim_of_the_one_that_took_over() {
    let late = ClaimToken::random();
    let taken_over = record(
        "IN_PROGRESS",
        "fp",
        "the-new-holder",
        now().timestamp() + 20,
    );
    let taken = taken_over.clone();
    let complete =
        mock!(aws_sdk_dynamodb::Client::update_item).then_error(move || refused(taken.clone()));
    let release = mock!(aws_sdk_dynamodb::Client::update_item)
        .then_error(move || refused(taken_over.clone()));
    let store = store(client(&[&complete, &release]));

    assert_eq!(
        store.complete("k", late, "ses-1", now()).await.unwrap(),
        Completion::Superseded
    );
    store
        .release("k", late)
        .await
        .expect("nothing of ours to release is no error");
}

#[tokio::test]
async fn completing_again_after_a_lost_reply_is_recorded_not_superseded() {
    let token = ClaimToken::random();
    let ours_done = record("COMPLETED", "fp", &token.to_string(), 0);
    let retried =
        mock!(aws_sdk_dynamodb::Client::update_item).then_error(move || refused(ours_done.clone()));
    let store = store(client(&[&retried]));

    assert_eq!(
        store.complete("k", token, "ses-1", now()).await.unwrap(),
        Completion::Recorded
    );
}
