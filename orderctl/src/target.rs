//! Which AWS and which resources a command addresses: `--env local` (the default) is the local
//! AWS; any other environment is `--endpoint-url`, or else real AWS. Each option stands for its
//! variable (`AWS_ENDPOINT_URL`, …); resource names are read as the binaries read theirs.

use adapters::{
    AwsSettings, DynamoDbOrderRepository, Env, QueueAddress, SnsEventPublisher, SqsQueue,
};
use aws_config::SdkConfig;
use clap::{Args, ValueEnum};
use domain::OrderId;
use ports::{BackendError, Fault, OrderRecord, OrderRepository};
use serde::Serialize;

use crate::error::{CtlError, Endpoint};
use crate::queues::SqsQueues;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// Aligned tables, for people.
    Table,
    /// One JSON document on stdout, for scripts.
    Json,
}

/// The options of every command, before or after its name (as the AWS CLI takes them).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Global options")]
pub struct Globals {
    /// The environment: resources are named `<env>-Orders`, `<env>-OrderEmailDLQ`, …
    /// `local` is the local AWS; any other name is AWS.
    #[arg(
        long = "env",
        env = "ENVIRONMENT",
        default_value = "local",
        global = true
    )]
    pub environment: String,
    /// The shared config profile (~/.aws/config) whose credentials and region to use.
    #[arg(long, env = "AWS_PROFILE", global = true)]
    pub profile: Option<String>,
    /// The AWS region, like eu-west-1 (else the profile's).
    #[arg(long, env = "AWS_REGION", global = true)]
    pub region: Option<String>,
    /// Send every AWS call to this URL instead (the local AWS, a VPC endpoint).
    #[arg(long, env = "AWS_ENDPOINT_URL", value_name = "URL", global = true)]
    pub endpoint_url: Option<String>,
    /// `table` for people, `json` (one document on stdout) for scripts.
    #[arg(long, value_enum, default_value_t = Output::Table, global = true)]
    pub output: Output,
    /// The same as `--output json`.
    #[arg(long, global = true)]
    pub json: bool,
}

impl Globals {
    pub fn json(&self) -> bool {
        self.json || self.output == Output::Json
    }

    /// The variables the SDK sees: the options override them, and `ENVIRONMENT` is `environment`.
    pub fn env_as(&self, environment: &str) -> Env {
        let (environment, given) = (environment.to_owned(), self.clone());
        Env::from_lookup(move |name| match name {
            "ENVIRONMENT" => Some(environment.clone()),
            "AWS_PROFILE" => given.profile.clone(),
            "AWS_REGION" => given.region.clone(),
            "AWS_ENDPOINT_URL" => given.endpoint_url.clone(),
            _ => std::env::var(name).ok(),
        })
    }
}

/// The resources the commands address, named as the binaries name them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Names {
    pub environment: String,
    pub orders_table: String,
    pub audit_table: String,
    pub idempotency_table: String,
    pub email_queue: String,
    pub audit_queue: String,
    /// The DLQs by name; a queue's `RedrivePolicy` wins over them.
    pub email_dlq: String,
    pub audit_dlq: String,
    pub max_receive_count: u32,
}

impl Names {
    pub fn read(env: &Env) -> Result<Names, CtlError> {
        Ok(Names {
            environment: env.environment(),
            orders_table: env.name("ORDERS_TABLE", "Orders"),
            audit_table: env.name("AUDIT_TABLE", "AuditLogs"),
            idempotency_table: env.name("IDEMPOTENCY_TABLE", "Idempotency"),
            email_queue: env.name("EMAIL_QUEUE", "OrderEmailQueue"),
            audit_queue: env.name("AUDIT_QUEUE", "OrderAuditQueue"),
            email_dlq: env.name("EMAIL_DLQ", "OrderEmailDLQ"),
            audit_dlq: env.name("AUDIT_DLQ", "OrderAuditDLQ"),
            max_receive_count: env.count("MAX_RECEIVE_COUNT", 3)?,
        })
    }

    /// The queue whose DLQ it is (none for the delivery DLQ), and the DLQ by name.
    pub fn of(&self, workflow: Workflow) -> (Option<&str>, String) {
        match workflow {
            Workflow::Email => (Some(&self.email_queue), self.email_dlq.clone()),
            Workflow::Audit => (Some(&self.audit_queue), self.audit_dlq.clone()),
            Workflow::Delivery => (None, format!("{}-OrderEventsDeliveryDLQ", self.environment)),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Target {
    pub config: Names,
    pub sdk: SdkConfig,
    pub endpoint: Endpoint,
}

impl Target {
    pub async fn connect(globals: &Globals) -> Result<Target, CtlError> {
        let env = globals.env_as(&globals.environment);
        let config = Names::read(&env)?;
        let aws = AwsSettings::read(&env)?;
        let sdk = aws.aws().await;
        if !aws.is_local() && sdk.region().is_none() {
            return Err(CtlError::Settings(
                "no AWS region: pass --region (or set AWS_REGION), or a --profile that has one",
            ));
        }
        let endpoint = Endpoint::of(&sdk, &config.environment);
        Ok(Target {
            config,
            sdk,
            endpoint,
        })
    }

    pub fn sqs(&self) -> aws_sdk_sqs::Client {
        aws_sdk_sqs::Client::new(&self.sdk)
    }

    pub fn dynamodb(&self) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::new(&self.sdk)
    }

    pub fn orders(&self) -> DynamoDbOrderRepository {
        DynamoDbOrderRepository::new(self.dynamodb(), &self.config.orders_table)
    }

    pub fn queues(&self) -> SqsQueues {
        SqsQueues(self.sqs())
    }

    pub fn failed(&self, err: BackendError) -> CtlError {
        self.endpoint.error(None, err)
    }

    /// The order as stored; [`CtlError::NoSuchOrder`] if there is none.
    pub async fn order(&self, order_id: OrderId) -> Result<OrderRecord, CtlError> {
        let table = &self.config.orders_table;
        let found = self.orders().get(order_id).await;
        let found = found.map_err(|e| self.endpoint.table_error(table, e))?;
        let table = table.clone();
        found.ok_or(CtlError::NoSuchOrder { order_id, table })
    }

    /// The DLQ `given` names (`email`, `audit`, `delivery`, or one of their queues).
    pub async fn dlq(&self, given: &str) -> Result<Dlq, CtlError> {
        let names = |w| self.config.of(w);
        let named = |w: &Workflow| {
            let (source, dlq) = names(*w);
            given.eq_ignore_ascii_case(w.name()) || source == Some(given) || given == dlq
        };
        match Workflow::ALL.iter().find(|w| named(w)) {
            Some(workflow) => self.resolve(*workflow).await,
            None => Err(CtlError::UnknownQueue {
                given: given.to_owned(),
                known: Workflow::ALL.iter().map(|w| names(*w).1).collect(),
            }),
        }
    }

    /// The workflow's DLQ (the one its queue's `RedrivePolicy` names, which SQS
    /// and the worker really use, else the configured name) and that queue.
    pub async fn resolve(&self, workflow: Workflow) -> Result<Dlq, CtlError> {
        let sqs = self.sqs();
        let (source, fallback) = self.config.of(workflow);
        let Some(source) = source else {
            let queue = QueueAddress::lookup(&sqs, &fallback).await;
            let missing = format!("queue {fallback}");
            let queue = queue.map_err(|e| self.endpoint.error(Some(&missing), e))?;
            return Ok(Dlq {
                workflow,
                queue,
                source: None,
            });
        };
        let max_receive_count = self.config.max_receive_count;
        match SqsQueue::resolve(&sqs, source, &fallback, max_receive_count).await {
            Ok(resolved) => Ok(Dlq {
                workflow,
                queue: resolved.dead_letter,
                source: Some(QueueAddress {
                    name: resolved.name,
                    url: resolved.url,
                    arn: resolved.arn,
                }),
            }),
            Err(e) if e.fault == Fault::NotFound => {
                // Which one is missing: the queue, or the DLQ it names?
                let missing = match QueueAddress::lookup(&sqs, source).await {
                    Ok(_) => format!("the DLQ of queue {source}"),
                    Err(_) => format!("queue {source}"),
                };
                Err(self.endpoint.error(Some(&missing), e))
            }
            Err(e) => Err(self.failed(e)),
        }
    }

    /// `ORDER_TOPIC_ARN` if given, else the template's topic `<env>-OrderEvents`.
    pub async fn topic_arn(&self) -> Result<String, CtlError> {
        let given = std::env::var("ORDER_TOPIC_ARN").ok();
        if let Some(arn) = given.filter(|a| !a.is_empty()) {
            return Ok(arn);
        }
        let name = format!("{}-OrderEvents", self.config.environment);
        let sns = aws_sdk_sns::Client::new(&self.sdk);
        let found = SnsEventPublisher::find_topic(&sns, &name).await;
        let found = found.map_err(|e| self.failed(e))?;
        found.ok_or_else(|| CtlError::NoSuchTopic {
            name,
            endpoint: self.endpoint.label.clone(),
            env: self.endpoint.env.clone(),
        })
    }
}

/// A DLQ of the fleet: one per consumer of the order events, and SNS's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Workflow {
    Email,
    Audit,
    /// `<env>-OrderEventsDeliveryDLQ`: no queue's DLQ; its messages go back to the topic.
    Delivery,
}

impl Workflow {
    pub const ALL: [Workflow; 3] = [Workflow::Email, Workflow::Audit, Workflow::Delivery];

    pub fn name(&self) -> &'static str {
        match self {
            Workflow::Email => "email",
            Workflow::Audit => "audit",
            Workflow::Delivery => "delivery",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dlq {
    pub workflow: Workflow,
    pub queue: QueueAddress,
    /// None for the delivery DLQ: SNS fills it, and a redrive publishes.
    pub source: Option<QueueAddress>,
}

/// An order, by its id (`audit`, `order`).
#[derive(Debug, Args)]
pub struct OrderArg {
    /// The order's id (a UUID, as the API returned it).
    #[arg(value_parser = order_id_arg)]
    pub order_id: OrderId,
}

/// Parses an order id as it is typed: a malformed one is refused before AWS is asked.
pub fn order_id_arg(text: &str) -> Result<OrderId, String> {
    text.trim().parse().map_err(|_| {
        "not an order id: order ids are UUIDs, like 4f0c8f2e-8d1b-4c53-9d55-3f7c1c7e1a10".to_owned()
    })
}
