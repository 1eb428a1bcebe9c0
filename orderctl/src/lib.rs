//! `orderctl`: the operators' CLI (over the `ports` and `adapters` crates) and local stack runner.
//!
//! # Layout
//!
//! - [`status`]: "is the pipeline healthy right now?", on one screen.
//! - [`dlq`]: `list|peek|redrive|purge` the dead-letter queues.
//! - [`audit`], [`order`]: an order's audit trail; everything about an order.
//! - [`republish`]: publishes stored unpublished orders, through the outbox relay's code.
//! - [`local`]: `local up|verify`, the `local-stack` crate behind a command line.
//! - [`queues`]: what only operators need of SQS (peek, move, purge).
//! - [`target`]: the global options → endpoint, credentials, resource names;
//!   [`error`], [`output`] (tables or JSON), [`confirm`] (asking before a change).

pub mod audit;
pub mod confirm;
pub mod dlq;
pub mod error;
pub mod local;
pub mod order;
pub mod output;
pub mod queues;
pub mod republish;
pub mod status;
pub mod target;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "orderctl",
    version,
    about = "Operate the order fleet and run its local stack"
)]
pub struct Cli {
    #[command(flatten)]
    pub globals: target::Globals,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The local stack on moto, built from infra/template.yaml.
    #[command(subcommand)]
    Local(local::LocalCommand),
    /// Is the pipeline healthy right now? Queues, DLQs, the outbox, alarms,
    /// and what needs attention first. Changes nothing.
    Status(status::StatusArgs),
    /// The dead-letter queues: list, peek, redrive, purge.
    #[command(subcommand)]
    Dlq(dlq::DlqCommand),
    /// An order's audit trail, oldest first.
    Audit(target::OrderArg),
    /// An order: as stored, its audit trail, and whether a DLQ holds it.
    Order(target::OrderArg),
    /// Publish the events of orders stored unpublished (order-api answered 500).
    Republish(republish::RepublishArgs),
    /// Print the completion script for bash, zsh, fish, powershell or elvish.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// Runs one command; the exit code says whether it found what it should.
pub async fn run(cli: Cli) -> Result<ExitCode, error::CtlError> {
    let globals = &cli.globals;
    match cli.command {
        Command::Local(command) => local::run(command, globals).await,
        Command::Status(args) => status::run(args, globals).await,
        Command::Dlq(args) => dlq::run(args, globals).await,
        Command::Audit(args) => audit::run(args, globals).await,
        Command::Order(args) => order::run(args, globals).await,
        Command::Republish(args) => republish::run(args, globals).await,
        Command::Completions { shell } => {
            let mut out = std::io::stdout().lock();
            clap_complete::generate(shell, &mut Cli::command(), "orderctl", &mut out);
            Ok(ExitCode::SUCCESS)
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;
    use crate::target::Output;

    fn parse(args: &[&str]) -> Cli {
        Cli::try_parse_from(args).unwrap_or_else(|e| panic!("{args:?}: {e}"))
    }

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn a_global_option_goes_before_or_after_the_command() {
        let before = parse(&[
            "orderctl",
            "--env",
            "prod",
            "--region",
            "eu-west-1",
            "dlq",
            "peek",
            "email",
        ]);
        let after = parse(&[
            "orderctl",
            "dlq",
            "peek",
            "email",
            "--env",
            "prod",
            "--region",
            "eu-west-1",
        ]);
        for cli in [before, after] {
            assert_eq!(cli.globals.environment, "prod");
            assert_eq!(cli.globals.region.as_deref(), Some("eu-west-1"));
        }
        let local = parse(&[
            "orderctl",
            "--profile",
            "ops",
            "local",
            "verify",
            "--env",
            "t1",
        ]);
        assert_eq!(local.globals.environment, "t1");
        assert_eq!(local.globals.profile.as_deref(), Some("ops"));
    }

    #[test]
    fn json_is_output_json() {
        assert!(parse(&["orderctl", "dlq", "list", "--json"]).globals.json());
        assert!(parse(&["orderctl", "--output", "json", "dlq", "list"])
            .globals
            .json());
        let table = parse(&["orderctl", "dlq", "list"]).globals;
        assert_eq!(table.output, Output::Table);
        assert!(!table.json());
        assert!(Cli::try_parse_from(["orderctl", "--output", "yaml", "dlq", "list"]).is_err());
    }

    #[test]
    fn the_help_shows_every_global_option() {
        let help = Cli::command().render_long_help().to_string();
        for option in [
            "--env",
            "--profile",
            "--region",
            "--endpoint-url",
            "--output",
            "--json",
        ] {
            assert!(help.contains(option), "no {option} in:\n{help}");
        }
    }

    #[test]
    fn a_change_takes_yes_but_a_dry_run_needs_none() {
        let yes = parse(&["orderctl", "dlq", "redrive", "email", "--yes"]);
        assert!(matches!(yes.command, Command::Dlq(_)));
        parse(&["orderctl", "republish", "--all-unpublished", "-y"]);
        parse(&["orderctl", "dlq", "purge", "audit", "--yes"]);
        parse(&["orderctl", "republish", "--all-unpublished", "--dry-run"]);
    }

    #[test]
    fn completions_are_printed_for_every_shell() {
        for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
            let Command::Completions { shell } = parse(&["orderctl", "completions", shell]).command
            else {
                panic!("not the completions command");
            };
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "orderctl", &mut script);
            let script = String::from_utf8(script).expect("utf-8");
            assert!(
                script.contains("redrive") && script.contains("endpoint-url"),
                "{shell}"
            );
        }
    }

    #[test]
    fn status_watches_every_five_seconds_unless_told_and_never_every_zero() {
        let Command::Status(once) = parse(&["orderctl", "status"]).command else {
            panic!("not the status command");
        };
        assert!(!once.watch);
        assert_eq!(once.interval, 5);
        let Command::Status(watch) =
            parse(&["orderctl", "status", "--watch", "--interval", "1", "--json"]).command
        else {
            panic!("not the status command");
        };
        assert!(watch.watch);
        assert_eq!(watch.interval, 1);
        assert!(Cli::try_parse_from(["orderctl", "status", "--watch", "--interval", "0"]).is_err());
    }
}
