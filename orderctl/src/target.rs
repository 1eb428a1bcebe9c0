//! Which AWS and which resources a command addresses.
//!
//! `--env local` (the default) is the local AWS: `AWS_ENDPOINT_URL`, or the
//! moto of `make dev`, with dummy credentials — the same settings as
//! `orderctl local`. Any other environment is the endpoint `AWS_ENDPOINT_URL`
//! names (a test stack) with the fleet's own settings, or else real AWS
//! through the standard chain (`AWS_PROFILE`, `AWS_REGION`, SSO, roles).
//! Resource names come from [`shared::Config`], so `EMAIL_QUEUE`, … override
//! them exactly as they do for the workers.

use aws_config::SdkConfig;
use aws_sdk_sqs::types::QueueAttributeName;
use aws_sdk_sqs::Client;
use clap::Args;
use serde::{Deserialize, Serialize};

use crate::error::{CtlError, Endpoint};

/// The options every operator command takes.
#[derive(Debug, Clone, Args)]
pub struct TargetArgs {
    /// The environment: resources are named `<env>-Orders`, `<env>-OrderEmailDLQ`, …
    /// `local` is the local AWS; any other name is AWS (AWS_PROFILE, AWS_REGION).
    #[arg(
        long = "env",
        env = "ENVIRONMENT",
        default_value = "local",
        global = true
    )]
    pub environment: String,
    /// Print one JSON document on stdout, for scripts, instead of tables.
    #[arg(long, global = true)]
    pub json: bool,
}

/// The settings of one run: resource names, SDK settings, and where they lead.
#[derive(Debug, Clone)]
pub struct Target {
    pub config: shared::Config,
    pub sdk: SdkConfig,
    pub endpoint: Endpoint,
}

impl Target {
    pub async fn connect(args: &TargetArgs) -> Result<Target, CtlError> {
        let env = args.environment.clone();
        let config = shared::Config::from_lookup(|name| match name {
            "ENVIRONMENT" => Some(env.clone()),
            // Config insists on the topic outside `local` because the API
            // publishes to it. Only `republish` publishes, and it reads
            // ORDER_TOPIC_ARN itself or finds the topic by name.
            "ORDER_TOPIC_ARN" => Some(var(name).unwrap_or_default()),
            _ => var(name),
        })?;
        let sdk = if config.environment == "local" {
            crate::local::local_sdk_config()
                .await
                .map_err(CtlError::Settings)?
        } else {
            // The standard chain (AWS_PROFILE, its region, SSO, roles), or the
            // endpoint of AWS_ENDPOINT_URL (a test stack on moto).
            let sdk = config.aws().await;
            if sdk.region().is_none() {
                return Err(CtlError::Settings(
                    "no AWS region: set AWS_REGION, or use a profile (AWS_PROFILE) that has one"
                        .into(),
                ));
            }
            sdk
        };
        let endpoint = Endpoint::of(&sdk, &config.environment);
        Ok(Target {
            config,
            sdk,
            endpoint,
        })
    }

    pub fn sqs(&self) -> Client {
        Client::new(&self.sdk)
    }

    pub fn dynamodb(&self) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::new(&self.sdk)
    }

    /// `email`, `audit`, or the name of either queue of a workflow.
    pub fn workflow(&self, given: &str) -> Result<Workflow, CtlError> {
        let config = &self.config;
        Workflow::ALL
            .into_iter()
            .find(|w| {
                given.eq_ignore_ascii_case(w.name())
                    || given == w.source_queue(config)
                    || given == w.fallback_dlq(config)
            })
            .ok_or_else(|| CtlError::UnknownQueue {
                given: given.to_owned(),
                known: Workflow::ALL
                    .iter()
                    .map(|w| w.fallback_dlq(config).to_owned())
                    .collect(),
            })
    }
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// One of the two consumers of the order events, each with a queue and a DLQ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Workflow {
    Email,
    Audit,
}

impl Workflow {
    pub const ALL: [Workflow; 2] = [Workflow::Email, Workflow::Audit];

    pub fn name(&self) -> &'static str {
        match self {
            Workflow::Email => "email",
            Workflow::Audit => "audit",
        }
    }

    pub fn source_queue<'c>(&self, config: &'c shared::Config) -> &'c str {
        match self {
            Workflow::Email => &config.email_queue,
            Workflow::Audit => &config.audit_queue,
        }
    }

    /// The DLQ by name; the source queue's redrive policy wins over it.
    pub fn fallback_dlq<'c>(&self, config: &'c shared::Config) -> &'c str {
        match self {
            Workflow::Email => &config.email_dlq,
            Workflow::Audit => &config.audit_dlq,
        }
    }
}

/// A queue, looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueRef {
    pub name: String,
    pub url: String,
    pub arn: String,
}

/// A workflow's queue and the DLQ its redrive policy names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DlqPair {
    pub workflow: Workflow,
    pub source: QueueRef,
    pub dlq: QueueRef,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RedrivePolicy {
    dead_letter_target_arn: String,
}

/// Looks the workflow's queue up, then the DLQ its `RedrivePolicy` names —
/// the one SQS and the worker really use — or the configured name when the
/// queue has no policy.
pub async fn resolve(
    sqs: &Client,
    target: &Target,
    workflow: Workflow,
) -> Result<DlqPair, CtlError> {
    let source_name = workflow.source_queue(&target.config);
    let (source, policy) = lookup(sqs, &target.endpoint, source_name).await?;
    let dlq_name = match policy.as_deref().filter(|p| !p.is_empty()) {
        Some(text) => {
            let policy: RedrivePolicy =
                serde_json::from_str(text).map_err(|e| CtlError::Unreadable {
                    what: "the RedrivePolicy".to_owned(),
                    place: source_name.to_owned(),
                    source: e.into(),
                })?;
            let arn = policy.dead_letter_target_arn;
            arn.rsplit(':').next().unwrap_or(&arn).to_owned()
        }
        None => workflow.fallback_dlq(&target.config).to_owned(),
    };
    let (dlq, _) = lookup(sqs, &target.endpoint, &dlq_name).await?;
    Ok(DlqPair {
        workflow,
        source,
        dlq,
    })
}

/// The queue's URL and ARN, and its redrive policy if it has one.
async fn lookup(
    sqs: &Client,
    endpoint: &Endpoint,
    name: &str,
) -> Result<(QueueRef, Option<String>), CtlError> {
    let url = match sqs.get_queue_url().queue_name(name).send().await {
        Ok(output) => output.queue_url.unwrap_or_default(),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_queue_does_not_exist()) =>
        {
            return Err(endpoint.no_such_queue(name))
        }
        Err(e) => return Err(endpoint.error("sqs:GetQueueUrl", e)),
    };
    let mut attributes = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::QueueArn)
        .attribute_names(QueueAttributeName::RedrivePolicy)
        .send()
        .await
        .map_err(|e| endpoint.error("sqs:GetQueueAttributes", e))?
        .attributes
        .unwrap_or_default();
    let arn = attributes
        .remove(&QueueAttributeName::QueueArn)
        .unwrap_or_default();
    let policy = attributes.remove(&QueueAttributeName::RedrivePolicy);
    Ok((
        QueueRef {
            name: name.to_owned(),
            url,
            arn,
        },
        policy,
    ))
}

/// Parses an order id where it is typed, so that a malformed one is refused
/// before anything is asked of AWS.
pub fn order_id_arg(text: &str) -> Result<shared::domain::OrderId, String> {
    text.trim().parse().map_err(|_| {
        "not an order id: order ids are UUIDs, like 4f0c8f2e-8d1b-4c53-9d55-3f7c1c7e1a10".to_owned()
    })
}
