//! `orderctl local up|verify`: the `local-stack` crate behind a command line.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use adapters::AwsSettings;
use clap::{Args, Subcommand};
use local_stack::{compare, load, observe, provision, unchecked, verify, ProvisionOptions};

use crate::error::{CtlError, Endpoint};
use crate::target::Globals;

#[derive(Debug, Subcommand)]
pub enum LocalCommand {
    /// Create (or bring up to date) every resource of the template on the local AWS, then verify it.
    Up(UpArgs),
    /// Compare the local AWS with the template; exit 1 on any difference.
    Verify(StackArgs),
}

/// The template's Environment parameter is the global `--env`.
#[derive(Debug, Args)]
pub struct StackArgs {
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

pub async fn run(command: LocalCommand, globals: &Globals) -> Result<ExitCode, CtlError> {
    // `--env` only names the resources: read as `local`, the settings give the
    // local endpoint and dummy credentials whatever the environment is called.
    let sdk = AwsSettings::read(&globals.env_as("local"))?.aws().await;
    let environment = &globals.environment;
    let failed = |e| Endpoint::of(&sdk, environment).local_error(e);
    let (stack, visibility_timeout) = match &command {
        LocalCommand::Up(args) => (&args.stack, args.visibility_timeout),
        LocalCommand::Verify(stack) => (stack, None),
    };
    let path = stack.template.display();
    let template = load(&sdk, &stack.template, environment, &stack.sender).await;
    let template = template.map_err(failed)?;
    let mut out = std::io::stdout().lock();
    if let LocalCommand::Verify(_) = command {
        let observed = observe(&sdk, &template).await.map_err(failed)?;
        let differences = compare(&template, &observed);
        for difference in &differences {
            writeln!(out, "{difference}")?;
        }
        for note in unchecked(&template, &observed) {
            writeln!(out, "not checked: {note}")?;
        }
        if differences.is_empty() {
            writeln!(out, "the local stack `{environment}` matches {path}")?;
            return Ok(ExitCode::SUCCESS);
        }
        writeln!(out, "{} difference(s) from {path}", differences.len())?;
        return Ok(ExitCode::FAILURE);
    }
    let options = ProvisionOptions { visibility_timeout };
    let provisioned = provision(&sdk, &template, &options).await.map_err(failed)?;
    let differences = verify(&sdk, &template).await.map_err(failed)?;
    if !differences.is_empty() {
        for difference in &differences {
            writeln!(out, "{difference}")?;
        }
        writeln!(
            out,
            "the local stack still differs from {path} after `up`: what cannot change in place \
             (a table's keys or indexes) needs the resource deleted, or a fresh local AWS"
        )?;
        return Ok(ExitCode::FAILURE);
    }
    let endpoint = sdk.endpoint_url().unwrap_or("AWS");
    writeln!(out, "local stack `{environment}` ready on {endpoint}:")?;
    let tables = provisioned.tables.values().map(|name| ("table", name));
    let topics = provisioned.topics.values().map(|arn| ("topic", arn));
    let queues = provisioned.queues.values().map(|url| ("queue", url));
    for (kind, name) in tables.chain(topics).chain(queues) {
        writeln!(out, "  {kind}  {name}")?;
    }
    if let Some(sender) = &provisioned.sender_email {
        writeln!(out, "  sender {sender} (verified)")?;
    }
    Ok(ExitCode::SUCCESS)
}
