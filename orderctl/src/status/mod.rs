//! `orderctl status`: one screen for "is the pipeline healthy right now?".
//! It only reads: nothing is sent, deleted or changed.
//!
//! - [`queues`]: each work queue and DLQ — SQS's counts and the age of its
//!   oldest message, read without disturbing a work queue.
//! - [`outbox`]: the backlog of unpublished orders, read from the index.
//! - [`cloudwatch`]: the environment's alarms in ALARM, and SQS's age
//!   metric for the work queues.
//! - [`attention`]: the rules that turn the numbers into "what needs
//!   attention first"; [`report`]: the screen, as a table or JSON.
//!
//! `--watch` draws again every `--interval` seconds until Ctrl-C: on a
//! terminal over the last draw, elsewhere one after another (with `--json`,
//! one JSON document per line).

pub mod attention;
pub mod cloudwatch;
pub mod outbox;
pub mod queues;
pub mod report;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::Duration;

use chrono::Utc;
use clap::Args;
use ports::error_chain;

use crate::error::CtlError;
use crate::output::{emit, Report};
use crate::target::{Globals, Target};
use cloudwatch::CloudWatch;
use queues::QueueReader;
pub use report::StatusReport;

/// Clears a terminal and puts the cursor top left (ANSI).
const CLEAR_SCREEN: &str = "\x1b[2J\x1b[H";

#[derive(Debug, Args)]
#[command(after_long_help = AFTER_HELP)]
pub struct StatusArgs {
    /// Draw again every --interval seconds until Ctrl-C (with --json, one
    /// JSON document per line).
    #[arg(long)]
    pub watch: bool,
    /// Seconds between draws with --watch.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 5,
        value_parser = clap::value_parser!(u64).range(1..=3600)
    )]
    pub interval: u64,
}

const AFTER_HELP: &str = "\
Numbers:
  queues   Each work queue and DLQ of the environment (email, audit, and the
           subscriptions' delivery DLQ): SQS's visible, in-flight and delayed
           counts, and the age of the oldest message. SQS gives no age: a
           DLQ's is the SentTimestamp of up to 100 of its messages, peeked as
           `dlq list` peeks (received and made visible again at once; under
           --watch only when its counts changed). A work queue is never
           received from: a receive would hide the message from its worker and
           count toward maxReceiveCount. Its age is CloudWatch's
           ApproximateAgeOfOldestMessage (on AWS, a few minutes behind), and
           `-` where CloudWatch has none, as on the local AWS.
  outbox   Orders stored whose event is not published: the UnpublishedIndex
           counted under PENDING#0..31 and the unsharded PENDING of older
           orders, and the oldest one's age.
  alarms   The alarms named <env>-… in ALARM (CloudWatch DescribeAlarms); if
           CloudWatch cannot be read, the screen says so.

Needs attention first (in this order):
  1. any message in a DLQ;
  2. an alarm in ALARM;
  3. an unpublished order older than 5 minutes (the relay publishes within one);
  4. a work queue whose oldest message is older than 15 minutes;
  5. a work queue with 1,000 or more visible messages.
  None of these: \"nothing: the pipeline is healthy\" (`healthy: true` in JSON).

The exit code is 0 whenever the numbers could be read, healthy or not.";

/// Reads every number of one draw; keeps what a watch reuses.
#[derive(Debug)]
struct StatusReader<'a> {
    target: &'a Target,
    queues: QueueReader,
    cloudwatch: CloudWatch,
    dynamodb: aws_sdk_dynamodb::Client,
}

impl StatusReader<'_> {
    fn new(target: &Target) -> StatusReader<'_> {
        StatusReader {
            target,
            queues: QueueReader::new(target.queues()),
            cloudwatch: CloudWatch::new(aws_sdk_cloudwatch::Client::new(&target.sdk)),
            dynamodb: target.dynamodb(),
        }
    }

    async fn read(&mut self) -> Result<StatusReport, CtlError> {
        let target = self.target;
        let now = Utc::now();
        let queues = self.queues.read(target, &self.cloudwatch, now).await?;
        let table = &target.config.orders_table;
        let outbox = outbox::unpublished_backlog(&self.dynamodb, table, now)
            .await
            .map_err(|e| target.endpoint.error(Some(&format!("table {table}")), e))?;
        let environment = &target.config.environment;
        let alarms = self
            .cloudwatch
            .alarms_in_alarm(&format!("{environment}-"))
            .await;
        Ok(StatusReport::new(
            environment,
            &target.endpoint.label,
            now,
            queues,
            outbox,
            alarms,
        ))
    }
}

pub async fn run(args: StatusArgs, globals: &Globals) -> Result<ExitCode, CtlError> {
    let json = globals.json();
    let target = Target::connect(globals).await?;
    let mut reader = StatusReader::new(&target);
    if !args.watch {
        return emit(&reader.read().await?, json);
    }
    watch(&mut reader, Duration::from_secs(args.interval), json).await
}

/// Draws until Ctrl-C. A draw that fails after the first is reported on
/// stderr and the watch goes on: a blip should not end it.
async fn watch(
    reader: &mut StatusReader<'_>,
    every: Duration,
    json: bool,
) -> Result<ExitCode, CtlError> {
    let terminal = !json && std::io::stdout().is_terminal();
    // Listening from the start, so that a Ctrl-C during a read ends the watch after it.
    let mut stop = tokio::spawn(tokio::signal::ctrl_c());
    let mut first = true;
    loop {
        match reader.read().await {
            Ok(report) => draw(&report, json, terminal, first)?,
            Err(error) if first => return Err(error),
            Err(error) => eprintln!(
                "error: {} (trying again in {}s)",
                error_chain(&error),
                every.as_secs()
            ),
        }
        first = false;
        tokio::select! {
            _ = &mut stop => return Ok(ExitCode::SUCCESS),
            () = tokio::time::sleep(every) => {}
        }
    }
}

/// One draw of a watch: over the last one on a terminal, after it elsewhere.
fn draw(report: &StatusReport, json: bool, terminal: bool, first: bool) -> Result<(), CtlError> {
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer(&mut out, report).map_err(std::io::Error::other)?;
        writeln!(out)?;
    } else {
        if terminal {
            write!(out, "{CLEAR_SCREEN}")?;
        } else if !first {
            writeln!(out)?;
        }
        report.write_text(&mut out)?;
    }
    out.flush()?;
    Ok(())
}
