//! `local-stack`: the data plane of `infra/template.yaml`, realized on the
//! local AWS (moto) through the service APIs (docs/decisions/0003).
//!
//! # Layout
//!
//! - [`template`] reads the template into a [`Template`] ([`spec`]), intrinsics resolved.
//! - [`mod@provision`] creates or updates every resource; [`mod@verify`] reads back what exists.
//! - [`mod@compare`] (pure) lists each [`Difference`] from the template.

pub mod compare;
mod intrinsics;
pub mod provision;
pub mod spec;
pub mod template;
pub mod verify;

use std::path::{Path, PathBuf};

use adapters::sdk_error::{fault, DetailedSdkError};
use aws_config::SdkConfig;
use aws_sdk_sqs::config::http::HttpResponse;
use aws_sdk_sqs::error::{ProvideErrorMetadata, SdkError};
use ports::Fault;

pub use compare::{compare, unchecked, Difference, Observed};
pub use intrinsics::TemplateError;
pub use provision::{provision, ProvisionOptions, Provisioned};
pub use spec::{FunctionSpec, Params, QueueSpec, Template};
pub use verify::{observe, verify};

#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    #[error("cannot read the template {}", path.display())]
    ReadTemplate {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the template {} cannot be used", path.display())]
    Template {
        path: PathBuf,
        #[source]
        source: TemplateError,
    },
    /// `fault` tells "nobody answers" (the local AWS is not running) from a refusal.
    #[error("{action} failed at {endpoint}")]
    Aws {
        action: String,
        endpoint: String,
        fault: Fault,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A request lacks a field the SDK requires (its message names which).
    #[error("cannot build a DynamoDB request")]
    Request(#[from] aws_sdk_dynamodb::error::BuildError),
    #[error("{0}")]
    Inconsistent(String),
}

/// An SDK call's result, its error worded as a [`LocalError`].
pub(crate) trait SdkResult<T> {
    fn or_fail(self, sdk: &SdkConfig, action: impl Into<String>) -> Result<T, LocalError>;
    fn or_missing(self, sdk: &SdkConfig, action: String) -> Result<Option<T>, LocalError>;
}

impl<T, E> SdkResult<T> for Result<T, SdkError<E, HttpResponse>>
where
    E: std::error::Error + ProvideErrorMetadata + Send + Sync + 'static,
{
    fn or_fail(self, sdk: &SdkConfig, action: impl Into<String>) -> Result<T, LocalError> {
        let endpoint = sdk.endpoint_url().unwrap_or("the default AWS endpoint");
        self.map_err(|err| LocalError::Aws {
            action: action.into(),
            endpoint: endpoint.into(),
            fault: fault(&err),
            source: DetailedSdkError(err).into(),
        })
    }

    fn or_missing(self, sdk: &SdkConfig, action: String) -> Result<Option<T>, LocalError> {
        match self {
            Err(e) if fault(&e) == Fault::NotFound => Ok(None),
            other => other.or_fail(sdk, action).map(Some),
        }
    }
}

/// The template at `path` as this endpoint would deploy it: region from the SDK
/// config, account id from STS (moto's is `123456789012`), so ARNs match.
pub async fn load(
    sdk: &SdkConfig,
    path: &Path,
    environment: &str,
    sender_email: &str,
) -> Result<Template, LocalError> {
    let sts = aws_sdk_sts::Client::new(sdk);
    let identity = sts.get_caller_identity().send().await;
    let identity = identity.or_fail(sdk, "sts:GetCallerIdentity")?;
    let params = Params {
        environment: environment.to_owned(),
        sender_email: sender_email.to_owned(),
        region: sdk.region().map_or("us-east-1".into(), |r| r.to_string()),
        account_id: identity.account.unwrap_or_default(),
    };
    Template::load(path, &params)
}
