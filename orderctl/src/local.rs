//! `orderctl local up` and `orderctl local verify`: the `local-stack`
//! crate behind a command line.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use aws_config::SdkConfig;
use clap::{Args, Subcommand};

use shared::{AwsSettings, Env};

use crate::error::{CtlError, Endpoint};
use local_stack::{
    compare, load, observe, provision, unchecked, verify, LocalError, ProvisionOptions, Template,
};

#[derive(Debug, Subcommand)]
pub enum LocalCommand {
    /// Create (or bring up to date) every resource of the template on the local AWS, then verify it.
    Up(UpArgs),
    /// Compare the local AWS with the template; exit 1 on any difference.
    Verify(StackArgs),
}

#[derive(Debug, Args)]
pub struct StackArgs {
    /// The template's Environment parameter: resources are named `<env>-Orders`, …
    #[arg(long = "env", env = "ENVIRONMENT", default_value = "local")]
    pub environment: String,
    /// The CloudFormation template the stack is derived from.
    #[arg(long, default_value = "infra/template.yaml")]
    pub template: PathBuf,
    /// The template's SenderEmail parameter: the SES identity to verify.
    #[arg(long, env = "SENDER_EMAIL", default_value = "orders@example.com")]
    pub sender: String,
}

#[derive(Debug, Args)]
pub struct UpArgs {
    #[command(flatten)]
    pub stack: StackArgs,
    /// Use this visibility timeout (seconds) instead of the template's, so that a
    /// failing message reaches its DLQ in seconds. Changes nothing else.
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..=43_200))]
    pub visibility_timeout: Option<u32>,
}

/// The SDK settings for the local AWS: `AWS_ENDPOINT_URL`, or `make dev`'s moto.
pub async fn local_sdk_config() -> SdkConfig {
    // `orderctl local` always talks to a local endpoint; `--env` only names the
    // resources. Reading the settings as `local` gives that endpoint and dummy
    // credentials whatever the environment is called.
    let env = Env::from_lookup(|name| match name {
        "ENVIRONMENT" => Some("local".to_owned()),
        _ => std::env::var(name).ok(),
    });
    AwsSettings::read(&env).aws().await
}

pub async fn run(command: LocalCommand) -> Result<ExitCode, CtlError> {
    let sdk = local_sdk_config().await;
    let mut out = std::io::stdout().lock();
    match command {
        LocalCommand::Up(args) => {
            let failed = |e| Endpoint::of(&sdk, &args.stack.environment).local_error(e);
            let template = template(&sdk, &args.stack).await.map_err(failed)?;
            let options = ProvisionOptions {
                visibility_timeout: args.visibility_timeout,
            };
            let provisioned = provision(&sdk, &template, &options).await.map_err(failed)?;
            let differences = verify(&sdk, &template).await.map_err(failed)?;
            if !differences.is_empty() {
                for difference in &differences {
                    writeln!(out, "{difference}")?;
                }
                writeln!(
                    out,
                    "the local stack still differs from {} after `up`: what cannot change in place \
                     (a table's keys or indexes) needs the resource deleted, or a fresh local AWS",
                    args.stack.template.display()
                )?;
                return Ok(ExitCode::FAILURE);
            }
            let endpoint = sdk.endpoint_url().unwrap_or("AWS");
            writeln!(
                out,
                "local stack `{}` ready on {endpoint}:",
                args.stack.environment
            )?;
            for name in provisioned.tables.values() {
                writeln!(out, "  table  {name}")?;
            }
            for arn in provisioned.topics.values() {
                writeln!(out, "  topic  {arn}")?;
            }
            for url in provisioned.queues.values() {
                writeln!(out, "  queue  {url}")?;
            }
            if let Some(sender) = &provisioned.sender_email {
                writeln!(out, "  sender {sender} (verified)")?;
            }
            Ok(ExitCode::SUCCESS)
        }
        LocalCommand::Verify(args) => {
            let failed = |e| Endpoint::of(&sdk, &args.environment).local_error(e);
            let template = template(&sdk, &args).await.map_err(failed)?;
            let observed = observe(&sdk, &template).await.map_err(failed)?;
            let differences = compare(&template, &observed);
            for difference in &differences {
                writeln!(out, "{difference}")?;
            }
            for note in unchecked(&template, &observed) {
                writeln!(out, "not checked: {note}")?;
            }
            if differences.is_empty() {
                writeln!(
                    out,
                    "the local stack `{}` matches {}",
                    args.environment,
                    args.template.display()
                )?;
                Ok(ExitCode::SUCCESS)
            } else {
                writeln!(
                    out,
                    "{} difference(s) from {}",
                    differences.len(),
                    args.template.display()
                )?;
                Ok(ExitCode::FAILURE)
            }
        }
    }
}

async fn template(sdk: &SdkConfig, args: &StackArgs) -> Result<Template, LocalError> {
    load(sdk, &args.template, &args.environment, &args.sender).await
}
