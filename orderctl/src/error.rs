//! What can go wrong in an operator's command, worded for the operator.
//!
//! One enum for the operator commands (`dlq`, `audit`, `order`): each variant
//! names what was wrong and what to check, and keeps the SDK error as its
//! cause so `main` prints the whole chain.

use aws_config::SdkConfig;
use aws_sdk_sqs::config::http::HttpResponse;
use aws_sdk_sqs::error::{ProvideErrorMetadata, SdkError};
use shared::adapters::sdk_error::DetailedSdkError;
use shared::domain::OrderId;

use crate::BoxError;

#[derive(Debug, thiserror::Error)]
pub enum CtlError {
    #[error("unknown queue {given:?}: expected `email`, `audit`, or one of {}", known.join(", "))]
    UnknownQueue { given: String, known: Vec<String> },
    #[error("queue {name} does not exist at {endpoint}; is `--env {env}` the right environment?")]
    NoSuchQueue {
        name: String,
        endpoint: String,
        env: String,
    },
    #[error("table {name} does not exist at {endpoint}; is `--env {env}` the right environment?")]
    NoSuchTable {
        name: String,
        endpoint: String,
        env: String,
    },
    #[error("no order {order_id} in {table}")]
    NoSuchOrder { order_id: OrderId, table: String },
    #[error("cannot reach {endpoint} ({action}){hint}")]
    Unreachable {
        endpoint: String,
        action: &'static str,
        hint: &'static str,
        #[source]
        source: BoxError,
    },
    #[error("{action} failed")]
    Aws {
        action: &'static str,
        #[source]
        source: BoxError,
    },
    #[error("{what} in {place} cannot be read")]
    Unreadable {
        what: String,
        place: String,
        #[source]
        source: BoxError,
    },
    #[error("refusing to purge {queue} unconfirmed: stdin is not a terminal; pass --yes to purge")]
    NotConfirmed { queue: String },
    #[error("invalid settings")]
    Config(#[from] shared::config::ConfigError),
    #[error("the AWS settings cannot be loaded")]
    Settings(#[source] BoxError),
    #[error("cannot write the output")]
    Output(#[from] std::io::Error),
}

/// Where the commands send their calls, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `http://127.0.0.1:4566`, or `AWS (eu-west-1)`.
    pub label: String,
    /// The environment whose resources are addressed (`--env`).
    pub env: String,
    /// An endpoint of its own (`AWS_ENDPOINT_URL`, the local AWS): an
    /// unreachable one is most likely not started.
    pub local: bool,
}

impl Endpoint {
    pub fn of(sdk: &SdkConfig, env: &str) -> Endpoint {
        let region = sdk.region().map_or("no region", |r| r.as_ref());
        Endpoint {
            label: sdk
                .endpoint_url()
                .map_or_else(|| format!("AWS ({region})"), str::to_owned),
            env: env.to_owned(),
            local: sdk.endpoint_url().is_some(),
        }
    }

    fn hint(&self) -> &'static str {
        if self.local {
            "; is the local AWS running? `make dev` starts it"
        } else {
            "; check the network, AWS_PROFILE and AWS_REGION"
        }
    }

    /// Maps an SDK error of `action` (`sqs:ReceiveMessage`, …), telling
    /// "nobody answers" apart from a refusal.
    pub fn error<E>(&self, action: &'static str, err: SdkError<E, HttpResponse>) -> CtlError
    where
        E: std::error::Error + ProvideErrorMetadata + Send + Sync + 'static,
    {
        match err {
            // Their source chain (connection refused, timed out) says it best.
            SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => CtlError::Unreachable {
                endpoint: self.label.clone(),
                action,
                hint: self.hint(),
                source: err.into(),
            },
            other => CtlError::Aws {
                action,
                source: DetailedSdkError(other).into(),
            },
        }
    }

    pub fn no_such_queue(&self, name: &str) -> CtlError {
        CtlError::NoSuchQueue {
            name: name.to_owned(),
            endpoint: self.label.clone(),
            env: self.env.clone(),
        }
    }

    /// A DynamoDB call on `table` failed: a missing table is said as such
    /// (a wrong `--env`, most likely); anything else as [`Endpoint::error`].
    pub fn table_error<E>(
        &self,
        table: &str,
        action: &'static str,
        err: SdkError<E, HttpResponse>,
    ) -> CtlError
    where
        E: std::error::Error + ProvideErrorMetadata + Send + Sync + 'static,
    {
        let missing = err
            .as_service_error()
            .and_then(ProvideErrorMetadata::code)
            .is_some_and(|code| code == "ResourceNotFoundException");
        if missing {
            self.no_such_table(table)
        } else {
            self.error(action, err)
        }
    }

    pub fn no_such_table(&self, name: &str) -> CtlError {
        CtlError::NoSuchTable {
            name: name.to_owned(),
            endpoint: self.label.clone(),
            env: self.env.clone(),
        }
    }
}
