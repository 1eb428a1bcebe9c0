//! `orderctl status`: one screen for "is the pipeline healthy right now?". It
//! only reads; what it shows, and why, is in `status --help`.

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

use crate::dlq::list::Peeked;
use crate::error::CtlError;
use crate::output::{emit, Report};
use crate::target::{Globals, Target};
use queues::read_queues;
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

/// Draws once, or until Ctrl-C with `--watch` (over the last draw on a terminal). A
/// draw that fails after the first is reported on stderr: a blip should not end a watch.
pub async fn run(args: StatusArgs, globals: &Globals) -> Result<ExitCode, CtlError> {
    let json = globals.json();
    let target = Target::connect(globals).await?;
    let (queues, mut peeked) = (target.queues(), Peeked::new());
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&target.sdk);
    let dynamodb = target.dynamodb();
    let (environment, table) = (&target.config.environment, &target.config.orders_table);
    // One draw's numbers; what a watch reuses is captured.
    let mut read = async || -> Result<StatusReport, CtlError> {
        let now = Utc::now();
        let queues = read_queues(&target, &queues, &mut peeked, &cloudwatch, now).await?;
        let outbox = outbox::unpublished_backlog(&dynamodb, table, now).await;
        let outbox = outbox.map_err(|e| target.endpoint.table_error(table, e))?;
        let alarms = cloudwatch::alarms_in_alarm(&cloudwatch, &format!("{environment}-")).await;
        let endpoint = &target.endpoint.label;
        let report = StatusReport::new(environment, endpoint, now, queues, outbox, alarms);
        Ok(report)
    };
    if !args.watch {
        return emit(&read().await?, json);
    }
    let every = Duration::from_secs(args.interval);
    let terminal = !json && std::io::stdout().is_terminal();
    // Listening from the start, so that a Ctrl-C during a read ends the watch after it.
    let mut stop = tokio::spawn(tokio::signal::ctrl_c());
    for draw in 0.. {
        match read().await {
            Ok(report) => {
                let mut out = std::io::stdout().lock();
                if json {
                    serde_json::to_writer(&mut out, &report).map_err(std::io::Error::other)?;
                    writeln!(out)?;
                } else {
                    if terminal {
                        write!(out, "{CLEAR_SCREEN}")?;
                    } else if draw > 0 {
                        writeln!(out)?;
                    }
                    report.write_text(&mut out)?;
                }
                out.flush()?;
            }
            Err(error) if draw == 0 => return Err(error),
            Err(error) => {
                let (error, every) = (error_chain(&error), every.as_secs());
                eprintln!("error: {error} (trying again in {every}s)");
            }
        }
        tokio::select! {
            _ = &mut stop => break,
            () = tokio::time::sleep(every) => {}
        }
    }
    Ok(ExitCode::SUCCESS)
}
