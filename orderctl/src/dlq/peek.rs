//! `orderctl dlq peek`: what is in a DLQ and why, without consuming it.

use std::io::Write;

use clap::Args;
use serde::Serialize;

use super::letter::LetterView;
use super::scan;
use crate::error::CtlError;
use crate::output::{clip, or_dash, table, Report};
use crate::queues::QueueDepth;
use crate::target::Target;

#[derive(Debug, Clone, Args)]
pub struct PeekArgs {
    /// `email`, `audit` or `delivery` (or the name of one of their queues).
    pub queue: String,
    /// Show at most this many messages.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub max: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PeekReport {
    pub queue: String,
    pub source_queue: Option<String>,
    pub depth: QueueDepth,
    /// Whether every visible message is shown.
    pub complete: bool,
    pub messages: Vec<LetterView>,
}

pub async fn run(target: &Target, args: &PeekArgs) -> Result<PeekReport, CtlError> {
    let dlq = target.dlq(&args.queue).await?;
    let queues = target.queues();
    let scan = scan::peek(&queues, &dlq.queue.url, args.max as usize).await;
    let scan = scan.map_err(|e| target.failed(e))?;
    // Counted after the scan released what it held, so that it counts them as visible.
    let depth = queues.depth(&dlq.queue.url).await;
    let depth = depth.map_err(|e| target.failed(e))?;
    Ok(PeekReport {
        queue: dlq.queue.name,
        source_queue: dlq.source.map(|q| q.name),
        depth,
        complete: scan.complete,
        messages: scan.letters.iter().map(LetterView::of).collect(),
    })
}

impl Report for PeekReport {
    fn write_text(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let (queue, shown) = (&self.queue, self.messages.len());
        let of = (!self.complete).then(|| format!(" of ~{}", self.depth.total()));
        let of = of.unwrap_or_default();
        let source = self.source_queue.as_deref().unwrap_or("SNS deliveries");
        writeln!(out, "{queue} (source {source}): {shown}{of} message(s)")?;
        if shown == 0 {
            return Ok(());
        }
        let rows = self.messages.iter().map(|m| {
            let order = match (&m.order_id, &m.body_preview) {
                (Some(id), _) => id.to_string(),
                (None, Some(body)) => format!("(not an order: {})", clip(body, 24)),
                (None, None) => "-".to_owned(),
            };
            vec![
                m.message_id.clone(),
                order,
                or_dash(m.receive_count),
                or_dash(m.sent_at.as_deref().map(|t| t.replacen('T', " ", 1))),
                or_dash(m.failure_kind.as_deref()),
                clip(&m.reason(), 80),
            ]
        });
        let headers = [
            "MESSAGE ID",
            "ORDER ID",
            "RECEIVES",
            "SENT",
            "KIND",
            "REASON",
        ];
        table(out, &headers, rows)?;
        if !self.complete {
            writeln!(out, "(more in the queue: --max shows more)")?;
        }
        Ok(())
    }
}
