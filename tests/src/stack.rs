//! The template's resources on the local AWS, under a prefix of the test's own.
//!
//! Every test gets its own tables, topic and queues (`t1a2b3c4d-Orders`, …), so
//! tests run in parallel on one moto without seeing each other's messages.

use std::path::PathBuf;

use local_stack::{provision, ProvisionOptions, Provisioned, Template};

use crate::local_aws::{LocalAws, REGION};

/// Visibility timeout of a test stack's queues: a failed receive is retried
/// (and after three, dead-lettered) in seconds, not minutes.
pub const TEST_VISIBILITY_TIMEOUT: u32 = 2;

/// The sender the test stacks verify in SES.
pub const TEST_SENDER: &str = "orders@example.com";

/// One provisioned copy of `infra/template.yaml`.
#[derive(Debug, Clone)]
pub struct Stack {
    /// The `Environment` parameter: the prefix of every name.
    pub env: String,
    pub endpoint: String,
    pub orders_table: String,
    pub audit_table: String,
    pub idempotency_table: String,
    pub topic_arn: String,
    pub email_queue_url: String,
    pub email_dlq_url: String,
    pub audit_queue_url: String,
    pub audit_dlq_url: String,
    pub sender_email: String,
    /// The template as resolved for this stack.
    pub template: Template,
    /// Everything created, by the template's logical ids.
    pub provisioned: Provisioned,
}

impl Stack {
    /// A fresh stack under a unique prefix (`t` + 8 hex digits).
    pub async fn create(local: &LocalAws) -> Stack {
        Stack::create_with_visibility(local, TEST_VISIBILITY_TIMEOUT).await
    }

    /// The stack for `env`, created or brought up to date (as `orderctl local up` does).
    pub async fn create_named(local: &LocalAws, env: &str) -> Stack {
        Stack::provision_named(local, env, TEST_VISIBILITY_TIMEOUT).await
    }

    /// A fresh stack whose queues hide a received message for `seconds`: for
    /// a test whose workers take longer than [`TEST_VISIBILITY_TIMEOUT`] over
    /// a batch, which would otherwise be handed to a second worker meanwhile.
    pub async fn create_with_visibility(local: &LocalAws, seconds: u32) -> Stack {
        let env = format!("t{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        Stack::provision_named(local, &env, seconds).await
    }

    async fn provision_named(local: &LocalAws, env: &str, visibility_timeout: u32) -> Stack {
        let sdk = local.aws_sdk_config();
        let path = Stack::template_path();
        let fail = |e: local_stack::LocalError| -> ! {
            panic!(
                "provisioning the test stack `{env}` from {}: {}",
                path.display(),
                ports::error_chain(&e)
            )
        };
        let template = local_stack::load(&sdk, &path, env, TEST_SENDER)
            .await
            .unwrap_or_else(|e| fail(e));
        let options = ProvisionOptions {
            visibility_timeout: Some(visibility_timeout),
        };
        let provisioned = provision(&sdk, &template, &options)
            .await
            .unwrap_or_else(|e| fail(e));

        let table = |id: &str| logical(&provisioned.tables, id);
        let queue = |id: &str| logical(&provisioned.queues, id);
        Stack {
            env: env.to_owned(),
            endpoint: local.endpoint().to_owned(),
            orders_table: table("OrdersTable"),
            audit_table: table("AuditLogsTable"),
            idempotency_table: table("IdempotencyTable"),
            topic_arn: logical(&provisioned.topics, "OrderEventsTopic"),
            email_queue_url: queue("OrderEmailQueue"),
            email_dlq_url: queue("OrderEmailDLQ"),
            audit_queue_url: queue("OrderAuditQueue"),
            audit_dlq_url: queue("OrderAuditDLQ"),
            sender_email: provisioned
                .sender_email
                .clone()
                .unwrap_or_else(|| TEST_SENDER.to_owned()),
            template,
            provisioned,
        }
    }

    /// `<repo>/infra/template.yaml`.
    pub fn template_path() -> PathBuf {
        crate::repo_root().join("infra/template.yaml")
    }

    /// The environment a fleet binary needs to run against this stack
    /// (`Command::envs(stack.env_vars())`): names, endpoint, dummy credentials.
    pub fn env_vars(&self) -> Vec<(&'static str, String)> {
        let queue_name = |id: &str| {
            self.template
                .queue(id)
                .map(|q| q.name.clone())
                .unwrap_or_else(|| panic!("the template has no queue {id}"))
        };
        vec![
            ("ENVIRONMENT", self.env.clone()),
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_REGION", REGION.to_owned()),
            ("AWS_ACCESS_KEY_ID", "test".to_owned()),
            ("AWS_SECRET_ACCESS_KEY", "test".to_owned()),
            // No instance metadata to ask on a laptop or a CI runner.
            ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
            ("ORDERS_TABLE", self.orders_table.clone()),
            ("AUDIT_TABLE", self.audit_table.clone()),
            ("IDEMPOTENCY_TABLE", self.idempotency_table.clone()),
            ("ORDER_TOPIC_ARN", self.topic_arn.clone()),
            ("EMAIL_QUEUE", queue_name("OrderEmailQueue")),
            ("AUDIT_QUEUE", queue_name("OrderAuditQueue")),
            ("SENDER_EMAIL", self.sender_email.clone()),
            // The deployed backoff waits a minute and more between receives;
            // the same code, shortened, as the visibility timeout is.
            ("RETRY_BASE_SECONDS", "1".to_owned()),
            ("RETRY_MAX_SECONDS", "1".to_owned()),
        ]
    }

    /// Verifies a sender address of this stack's own in SES and returns it,
    /// for a test that removes its sender: removing the shared one would break
    /// the tests running next to it.
    pub async fn own_sender(&self, local: &LocalAws) -> String {
        let sender = format!("sender-{}@example.org", self.env);
        local
            .ses()
            .verify_email_identity()
            .email_address(&sender)
            .send()
            .await
            .unwrap_or_else(|e| panic!("verifying {sender}: {e}"));
        sender
    }

    /// Deletes the stack's topic: publishing fails while storing still works.
    /// [`Stack::create_named`] with the same env brings it back.
    pub async fn delete_topic(&self, local: &LocalAws) {
        local
            .sns()
            .delete_topic()
            .topic_arn(&self.topic_arn)
            .send()
            .await
            .unwrap_or_else(|e| panic!("deleting {}: {e}", self.topic_arn));
    }
}

fn logical(map: &std::collections::BTreeMap<String, String>, id: &str) -> String {
    map.get(id)
        .cloned()
        .unwrap_or_else(|| panic!("infra/template.yaml has no resource {id}"))
}
