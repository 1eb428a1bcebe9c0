//! `orderctl dlq peek`: what is in a DLQ and why, without consuming it.

use std::io::Write;

use clap::Args;
use serde::Serialize;

use super::letter::LetterView;
use super::list::{depth, Depth};
use super::queues::SqsQueues;
use super::scan;
use crate::error::CtlError;
use crate::output::{clip, or_dash, Report, Table};
use crate::target::{resolve, Target};

#[derive(Debug, Clone, Args)]
pub struct PeekArgs {
    /// `email` or `audit` (or the name of either of its queues).
    pub queue: String,
    /// Show at most this many messages.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub max: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PeekReport {
    pub queue: String,
    pub source_queue: String,
    pub depth: Depth,
    /// Whether every visible message is shown.
    pub complete: bool,
    pub messages: Vec<LetterView>,
}

pub async fn run(target: &Target, args: &PeekArgs) -> Result<PeekReport, CtlError> {
    let sqs = target.sqs();
    let workflow = target.workflow(&args.queue)?;
    let pair = resolve(&sqs, target, workflow).await?;
    let queues = SqsQueues::new(sqs.clone(), target.endpoint.clone());
    let scan = scan::peek(&queues, &pair.dlq.url, args.max as usize).await?;
    // Counted after the scan released what it held, so that it counts them as visible.
    let depth = depth(&sqs, &target.endpoint, &pair.dlq.url).await?;
    Ok(PeekReport {
        queue: pair.dlq.name,
        source_queue: pair.source.name,
        depth,
        complete: scan.complete,
        messages: scan.letters.iter().map(|l| l.view()).collect(),
    })
}

impl Report for PeekReport {
    fn write_text(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let shown = self.messages.len();
        let of = if self.complete {
            String::new()
        } else {
            format!(" of ~{}", self.depth.total())
        };
        writeln!(
            out,
            "{} (source {}): {shown}{of} message(s)",
            self.queue, self.source_queue
        )?;
        if shown == 0 {
            return Ok(());
        }
        let mut table = Table::new(&[
            "MESSAGE ID",
            "ORDER ID",
            "RECEIVES",
            "SENT",
            "KIND",
            "REASON",
        ]);
        for m in &self.messages {
            let order = match (&m.order_id, &m.body_preview) {
                (Some(id), _) => id.to_string(),
                (None, Some(body)) => format!("(not an order: {})", clip(body, 24)),
                (None, None) => "-".to_owned(),
            };
            table.row(vec![
                m.message_id.clone(),
                order,
                or_dash(m.receive_count),
                or_dash(m.sent_at.as_deref().map(|t| t.replacen('T', " ", 1))),
                or_dash(m.failure_kind.as_deref()),
                clip(&m.reason(), 80),
            ]);
        }
        table.write(out)?;
        if !self.complete {
            writeln!(out, "(more in the queue: --max shows more)")?;
        }
        Ok(())
    }
}
