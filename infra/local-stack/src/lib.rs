//! `local-stack`: the data plane of `infra/template.yaml`, realized on the
//! local AWS (moto).
//!
//! moto's own CloudFormation skips subscriptions and queue policies while
//! reporting success, so the stack is created through the service APIs
//! instead — from the parsed template, never from a second list of names.
//! `orderctl local up|verify` and the test harness (`fleet-tests`) use it.
//!
//! # Layout
//!
//! - [`spec`]: what the stack consists of ([`Template`]: tables, topics,
//!   queues, subscriptions, and the functions' resolved environments).
//! - [`template`]: reads the YAML into a [`Template`]; `properties` turns
//!   each resource's properties into its spec, `intrinsics` resolves `!Ref`,
//!   `!GetAtt`, `!Sub`, `!If`, … — the one resolver the workspace has.
//! - [`provision`]: creates (or brings up to date) every resource; idempotent.
//! - [`verify`]: reads back what exists ([`Observed`], in [`observed`]);
//!   [`compare`] (pure) lists each [`Difference`] from the template.
//! - [`LocalError`], [`params`], [`load`]: what goes wrong, and the template
//!   as a given endpoint would deploy it.

pub mod compare;
mod intrinsics;
pub mod observed;
mod properties;
pub mod provision;
pub mod spec;
pub mod template;
pub mod verify;

use std::path::{Path, PathBuf};

use aws_config::SdkConfig;
use aws_sdk_sqs::error::ProvideErrorMetadata;

pub use compare::{compare, unchecked};
pub use intrinsics::TemplateError;
pub use observed::{Difference, Observed};
pub use provision::{provision, ProvisionOptions, Provisioned};
pub use spec::{FunctionSpec, Params, QueueSpec, Template};
pub use verify::{observe, verify};

/// Everything that can go wrong building or checking the local stack.
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
    #[error(
        "cannot reach the local AWS at {endpoint} ({action}); is it running? `make dev` starts it"
    )]
    Unreachable {
        endpoint: String,
        action: String,
        #[source]
        source: BoxError,
    },
    #[error("{action} failed")]
    Aws {
        action: String,
        #[source]
        source: BoxError,
    },
    #[error("{0}")]
    Inconsistent(String),
}

pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Maps an SDK error to [`LocalError`], telling "nobody answers" apart from a refusal.
pub(crate) fn aws_error<E, R>(
    sdk: &SdkConfig,
    action: impl Into<String>,
) -> impl FnOnce(aws_sdk_sqs::error::SdkError<E, R>) -> LocalError + '_
where
    E: std::error::Error + ProvideErrorMetadata + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    use aws_sdk_sqs::error::SdkError;
    let action = action.into();
    move |err| match err {
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => LocalError::Unreachable {
            endpoint: sdk
                .endpoint_url()
                .unwrap_or("the default AWS endpoint")
                .to_owned(),
            action,
            source: err.into(),
        },
        // The service's own message (code and text) is what an operator needs.
        SdkError::ServiceError(service) => {
            let err = service.into_err();
            let source: BoxError = match (err.code(), err.message()) {
                (Some(code), Some(message)) => format!("{code}: {message}").into(),
                _ => err.into(),
            };
            LocalError::Aws { action, source }
        }
        other => LocalError::Aws {
            action,
            source: other.into(),
        },
    }
}

/// The template's parameters for this endpoint: region from the SDK config,
/// account id from STS (moto answers `123456789012`), so ARNs match the real ones.
pub async fn params(
    sdk: &SdkConfig,
    environment: &str,
    sender_email: &str,
) -> Result<Params, LocalError> {
    let identity = aws_sdk_sts::Client::new(sdk)
        .get_caller_identity()
        .send()
        .await
        .map_err(aws_error(sdk, "sts:GetCallerIdentity"))?;
    Ok(Params {
        environment: environment.to_owned(),
        sender_email: sender_email.to_owned(),
        region: sdk
            .region()
            .map_or_else(|| "us-east-1".to_owned(), ToString::to_string),
        account_id: identity.account.unwrap_or_default(),
    })
}

/// [`params`] then [`Template::load`]: the template as this endpoint would deploy it.
pub async fn load(
    sdk: &SdkConfig,
    path: &Path,
    environment: &str,
    sender_email: &str,
) -> Result<Template, LocalError> {
    let params = params(sdk, environment, sender_email).await?;
    Template::load(path, &params)
}
