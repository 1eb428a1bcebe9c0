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
//!   `!GetAtt`, `!Sub`, `!If`, … — the one resolver the workspace has;
//!   `globals` merges SAM's `Globals.Function` into each serverless function.
//! - [`provision`]: creates (or brings up to date) every resource; idempotent.
//! - [`verify`]: reads back what exists ([`Observed`], in [`observed`]);
//!   [`compare`] (pure) lists each [`Difference`] from the template.
//! - [`LocalError`], [`params`], [`load`]: what goes wrong, and the template
//!   as a given endpoint would deploy it.

pub mod compare;
mod globals;
mod intrinsics;
pub mod observed;
mod properties;
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
    /// A call failed; `fault` tells "nobody answers" (the local AWS is not
    /// running) from a refusal, for the caller to word.
    #[error("{action} failed at {endpoint}")]
    Aws {
        action: String,
        endpoint: String,
        fault: Fault,
        #[source]
        source: BoxError,
    },
    #[error("cannot build a {what} request")]
    Request {
        what: String,
        #[source]
        source: BoxError,
    },
    #[error("{0}")]
    Inconsistent(String),
}

pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Maps an SDK error of `action` at the endpoint of `sdk` to [`LocalError`].
pub(crate) fn aws_error<E>(
    sdk: &SdkConfig,
    action: impl Into<String>,
) -> impl FnOnce(SdkError<E, HttpResponse>) -> LocalError + '_
where
    E: std::error::Error + ProvideErrorMetadata + Send + Sync + 'static,
{
    let action = action.into();
    move |err| LocalError::Aws {
        action,
        endpoint: sdk
            .endpoint_url()
            .unwrap_or("the default AWS endpoint")
            .to_owned(),
        fault: fault(&err),
        // The service's code and message are what an operator needs.
        source: DetailedSdkError(err).into(),
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
