//! The local stack is `infra/template.yaml`, and the verifier notices when it is not.

use aws_sdk_sqs::types::QueueAttributeName;
use fleet_tests::{LocalAws, Stack};
use local_stack::{compare, observe, provision, verify, Difference, Params, Template};

fn parsed_template() -> Template {
    let params = Params {
        environment: "local".to_owned(),
        sender_email: "orders@example.com".to_owned(),
        region: "us-east-1".to_owned(),
        account_id: "123456789012".to_owned(),
    };
    Template::load(&Stack::template_path(), &params).expect("infra/template.yaml parses")
}

#[test]
fn the_template_parses_into_the_documented_tables() {
    let template = parsed_template();
    let names: Vec<_> = template.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        ["local-Orders", "local-AuditLogs", "local-Idempotency"]
    );

    let orders = template.table("OrdersTable").expect("OrdersTable");
    assert_eq!(orders.key.hash, "OrderId");
    assert_eq!(orders.key.range, None);
    assert_eq!(orders.billing_mode.as_deref(), Some("PAY_PER_REQUEST"));
    assert!(orders.point_in_time_recovery && orders.sse);

    let audit = template.table("AuditLogsTable").expect("AuditLogsTable");
    assert_eq!(
        (audit.key.hash.as_str(), audit.key.range.as_deref()),
        ("AuditId", Some("Timestamp"))
    );
    let [index] = audit.global_indexes.as_slice() else {
        panic!("one GSI expected, found {:?}", audit.global_indexes)
    };
    assert_eq!(index.name, "OrderIdIndex");
    assert_eq!(
        (index.key.hash.as_str(), index.key.range.as_deref()),
        ("OrderId", Some("Timestamp"))
    );
    assert_eq!(index.projection, "ALL");

    let idempotency = template
        .table("IdempotencyTable")
        .expect("IdempotencyTable");
    assert_eq!(idempotency.key.hash, "Id");
    assert_eq!(idempotency.ttl_attribute.as_deref(), Some("ExpiresAt"));
}

#[test]
fn the_template_parses_into_the_documented_queues_and_subscriptions() {
    let template = parsed_template();
    let arn = |name: &str| format!("arn:aws:sqs:us-east-1:123456789012:{name}");
    let topic = template
        .topic("OrderEventsTopic")
        .expect("OrderEventsTopic");
    assert_eq!(
        topic.arn,
        "arn:aws:sns:us-east-1:123456789012:local-OrderEvents"
    );

    for (queue, dlq, visibility) in [
        ("OrderEmailQueue", "OrderEmailDLQ", "360"),
        ("OrderAuditQueue", "OrderAuditDLQ", "180"),
    ] {
        let work = template.queue(queue).expect("work queue");
        let dead = template.queue(dlq).expect("DLQ");
        assert_eq!(work.name, format!("local-{queue}"));
        assert_eq!(work.attributes["VisibilityTimeout"], visibility);
        assert_eq!(work.attributes["ReceiveMessageWaitTimeSeconds"], "20");
        assert_eq!(work.attributes["MessageRetentionPeriod"], "345600");
        assert_eq!(work.attributes["SqsManagedSseEnabled"], "true");
        let redrive = work.redrive.as_ref().expect("redrive policy");
        assert_eq!(redrive.dead_letter_target_arn, arn(&format!("local-{dlq}")));
        assert_eq!(redrive.max_receive_count, 10);

        assert_eq!(dead.attributes["MessageRetentionPeriod"], "1209600");
        let allow = dead.redrive_allow.as_ref().expect("redrive allow policy");
        assert_eq!(allow.redrive_permission, "byQueue");
        assert_eq!(allow.source_queue_arns, [arn(&format!("local-{queue}"))]);

        let policy = work.policy.as_ref().expect("queue policy");
        let statement = &policy["Statement"][0];
        assert_eq!(statement["Action"], "sqs:SendMessage");
        assert_eq!(
            statement["Resource"],
            arn(&format!("local-{queue}")).as_str()
        );
        assert_eq!(
            statement["Condition"]["ArnEquals"]["aws:SourceArn"],
            topic.arn.as_str()
        );

        let subscription = template
            .subscriptions
            .iter()
            .find(|s| s.endpoint == work.arn)
            .expect("a subscription of the queue");
        assert_eq!(
            (
                subscription.protocol.as_str(),
                subscription.topic_arn.as_str()
            ),
            ("sqs", topic.arn.as_str())
        );
        assert_eq!(subscription.attributes["RawMessageDelivery"], "true");
    }
    assert_eq!(template.subscriptions.len(), 2);
    assert_eq!(template.sender_email.as_deref(), Some("orders@example.com"));
}

#[tokio::test]
async fn a_provisioned_stack_matches_the_template_and_provisioning_again_changes_nothing() {
    let local = LocalAws::shared();
    let stack = Stack::create(local).await;
    let sdk = local.aws_sdk_config();

    assert_eq!(
        verify(&sdk, &stack.template).await.expect("verify"),
        Vec::<Difference>::new()
    );

    let again = provision(&sdk, &stack.template, &Default::default())
        .await
        .expect("second provision");
    assert_eq!(again, stack.provisioned, "the same resources, not new ones");
    assert_eq!(
        verify(&sdk, &stack.template).await.expect("verify"),
        Vec::<Difference>::new()
    );
    let observed = observe(&sdk, &stack.template).await.expect("observe");
    assert_eq!(
        observed.subscriptions.len(),
        2,
        "no duplicate subscriptions"
    );
    assert_eq!(
        observed.queues[&format!("{}-OrderEmailQueue", stack.env)]["VisibilityTimeout"],
        "360"
    );
}

#[tokio::test]
async fn test_stacks_shorten_the_visibility_timeout_and_nothing_else() {
    let local = LocalAws::shared();
    let stack = Stack::create(local).await;
    let attributes = local
        .sqs()
        .get_queue_attributes()
        .queue_url(&stack.email_queue_url)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await
        .expect("queue attributes")
        .attributes
        .unwrap_or_default();
    assert_eq!(attributes[&QueueAttributeName::VisibilityTimeout], "2");
    assert!(attributes[&QueueAttributeName::RedrivePolicy].contains("\"maxReceiveCount\": 10"));
    assert!(stack
        .email_dlq_url
        .ends_with(&format!("/{}-OrderEmailDLQ", stack.env)));
}

#[tokio::test]
async fn the_verifier_reports_a_changed_max_receive_count() {
    let local = LocalAws::shared();
    let stack = Stack::create(local).await;
    let sqs = local.sqs();
    let dlq_arn = &stack.template.queue("OrderEmailDLQ").expect("DLQ").arn;
    // moto drops a queue's access policy on any SetQueueAttributes that omits
    // it (real SQS keeps it), so send it along: only the count may change.
    let policy = stack
        .template
        .queue("OrderEmailQueue")
        .and_then(|q| q.policy.clone());
    sqs.set_queue_attributes()
        .queue_url(&stack.email_queue_url)
        .attributes(
            QueueAttributeName::RedrivePolicy,
            serde_json::json!({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 5}).to_string(),
        )
        .attributes(
            QueueAttributeName::Policy,
            policy.expect("policy").to_string(),
        )
        .send()
        .await
        .expect("changing the redrive policy");

    let differences = verify(&local.aws_sdk_config(), &stack.template)
        .await
        .expect("verify");
    assert_eq!(
        differences,
        [Difference {
            resource: format!("queue {}-OrderEmailQueue", stack.env),
            property: "RedrivePolicy.maxReceiveCount".to_owned(),
            expected: "10".to_owned(),
            found: "5".to_owned(),
        }]
    );
}

#[tokio::test]
async fn the_verifier_reports_a_deleted_subscription() {
    let local = LocalAws::shared();
    let stack = Stack::create(local).await;
    let audit = &stack.provisioned.subscriptions["AuditQueueSubscription"];
    local
        .sns()
        .unsubscribe()
        .subscription_arn(audit)
        .send()
        .await
        .expect("unsubscribing");

    let differences = verify(&local.aws_sdk_config(), &stack.template)
        .await
        .expect("verify");
    let [difference] = differences.as_slice() else {
        panic!("one difference expected, found {differences:#?}")
    };
    assert!(
        difference
            .resource
            .starts_with("subscription AuditQueueSubscription"),
        "{difference}"
    );
    assert_eq!(difference.property, "existence");
}

#[tokio::test]
async fn the_comparison_allows_a_shorter_visibility_timeout_never_a_longer_one() {
    let local = LocalAws::shared();
    let stack = Stack::create(local).await;
    let mut observed = observe(&local.aws_sdk_config(), &stack.template)
        .await
        .expect("observe");
    let queue = format!("{}-OrderAuditQueue", stack.env);
    let mut with_timeout = |seconds: &str| {
        observed
            .queues
            .get_mut(&queue)
            .expect("observed queue")
            .insert("VisibilityTimeout".to_owned(), seconds.to_owned());
        compare(&stack.template, &observed)
    };
    assert_eq!(with_timeout("180"), []);
    assert_eq!(with_timeout("1"), []);
    let too_long = with_timeout("181");
    assert_eq!(too_long.len(), 1, "{too_long:#?}");
    assert_eq!(too_long[0].property, "VisibilityTimeout");
}

#[tokio::test]
async fn the_comparison_reports_a_missing_index_and_a_disabled_ttl() {
    let local = LocalAws::shared();
    let stack = Stack::create(local).await;
    let mut observed = observe(&local.aws_sdk_config(), &stack.template)
        .await
        .expect("observe");
    observed
        .tables
        .get_mut(&stack.audit_table)
        .expect("audit table")
        .global_indexes
        .clear();
    observed
        .tables
        .get_mut(&stack.idempotency_table)
        .expect("idempotency table")
        .ttl_attribute = None;

    let properties: Vec<_> = compare(&stack.template, &observed)
        .into_iter()
        .map(|d| (d.resource, d.property))
        .collect();
    assert_eq!(
        properties,
        [
            (
                format!("table {}", stack.audit_table),
                "GlobalSecondaryIndexes.OrderIdIndex".to_owned()
            ),
            (
                format!("table {}", stack.idempotency_table),
                "TimeToLive".to_owned()
            ),
        ]
    );
}
