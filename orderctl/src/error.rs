//! The CLI's one error enum, worded for the operator: each variant names
//! what was wrong and where, and keeps the cause so `main` prints the chain.

use std::error::Error;
use std::process::ExitCode;

use aws_config::SdkConfig;
use domain::OrderId;
use local_stack::LocalError;
use ports::{BackendError, Fault, RepositoryError};

#[derive(Debug, thiserror::Error)]
pub enum CtlError {
    #[error("unknown queue {given:?}: expected `email`, `audit`, `delivery`, or one of {}", known.join(", "))]
    UnknownQueue { given: String, known: Vec<String> },
    #[error("{what} does not exist at {endpoint}; is `--env {env}` the right environment?")]
    Missing {
        /// `queue t-OrderEmailQueue`, `table t-Orders`.
        what: String,
        endpoint: String,
        env: String,
    },
    #[error(
        "no SNS topic {name} at {endpoint}; is `--env {env}` the right environment? \
         ORDER_TOPIC_ARN names the topic outright"
    )]
    NoSuchTopic {
        name: String,
        endpoint: String,
        env: String,
    },
    #[error("no order {order_id} in {table}")]
    NoSuchOrder { order_id: OrderId, table: String },
    #[error("cannot reach {endpoint} ({action}){hint}")]
    Unreachable {
        endpoint: String,
        action: String,
        hint: &'static str,
        #[source]
        source: Box<dyn Error + Send + Sync>,
    },
    #[error("{action} failed at {endpoint}")]
    Aws {
        action: &'static str,
        endpoint: String,
        #[source]
        source: BackendError,
    },
    #[error(
        "refusing to {change} (environment `{environment}`) unasked: \
         stdin is not a terminal; pass --yes to go ahead"
    )]
    NotConfirmed { change: String, environment: String },
    #[error("not confirmed; nothing was done (was about to {change})")]
    Declined { change: String },
    #[error("the local stack")]
    Local(#[source] LocalError),
    #[error("invalid settings")]
    Config(#[from] adapters::config::ConfigError),
    #[error("the AWS settings cannot be loaded: {0}")]
    Settings(&'static str),
    #[error("cannot write the output")]
    Output(#[from] std::io::Error),
}

impl CtlError {
    /// 2 for a change refused unasked, as for a command line that cannot be
    /// run as typed (what clap exits with): the script must change, not wait.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            CtlError::NotConfirmed { .. } => ExitCode::from(2),
            _ => ExitCode::FAILURE,
        }
    }
}

/// Where the commands send their calls, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `http://127.0.0.1:4566`, or `AWS (eu-west-1)`.
    pub label: String,
    pub env: String,
    /// Its own endpoint (`AWS_ENDPOINT_URL`, the local AWS): if unreachable, likely not started.
    pub local: bool,
}

impl Endpoint {
    pub fn of(sdk: &SdkConfig, env: &str) -> Endpoint {
        let region = sdk.region().map_or("no region", |r| r.as_ref());
        let url = sdk.endpoint_url();
        Endpoint {
            label: url.map_or_else(|| format!("AWS ({region})"), str::to_owned),
            env: env.to_owned(),
            local: url.is_some(),
        }
    }

    /// A failed call: "nobody answers" and "not there" (`what`, if named) told apart from a refusal.
    pub fn error(&self, what: Option<&str>, err: BackendError) -> CtlError {
        let endpoint = self.label.clone();
        match (err.fault, what) {
            (Fault::Unreachable, _) => self.unreachable(err.operation.to_owned(), err.into()),
            (Fault::NotFound, Some(what)) => CtlError::Missing {
                what: what.to_owned(),
                endpoint,
                env: self.env.clone(),
            },
            _ => CtlError::Aws {
                action: err.operation,
                endpoint,
                source: err,
            },
        }
    }

    /// The local stack failed: "nobody answers" is worded as for every command.
    pub fn local_error(&self, err: LocalError) -> CtlError {
        match err {
            LocalError::Aws {
                action,
                fault: Fault::Unreachable,
                source,
                ..
            } => self.unreachable(action, source),
            other => CtlError::Local(other),
        }
    }

    fn unreachable(&self, action: String, source: Box<dyn Error + Send + Sync>) -> CtlError {
        CtlError::Unreachable {
            endpoint: self.label.clone(),
            action,
            hint: match self.local {
                true => "; is the local AWS running? `make dev` starts it",
                false => "; check the network, --profile and --region",
            },
            source,
        }
    }

    pub fn table_error(&self, table: &str, err: impl Into<RepositoryError>) -> CtlError {
        let RepositoryError::Backend(err) = err.into();
        self.error(Some(&format!("table {table}")), err)
    }
}
