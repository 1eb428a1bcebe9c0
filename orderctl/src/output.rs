//! How results reach the operator: tables for people, one JSON document for
//! scripts, on stdout; notes and progress go to stderr so a pipe carries only results.

use std::io::Write;
use std::process::ExitCode;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::error::CtlError;

/// A command's result, printable either way.
pub trait Report: Serialize {
    fn write_text(&self, out: &mut dyn Write) -> std::io::Result<()>;

    /// Whether the command did all it was asked to (redrive failures do not).
    fn exit_code(&self) -> ExitCode {
        ExitCode::SUCCESS
    }
}

/// Prints `report` as a table or as JSON, and gives the command's exit code.
pub fn emit(report: &impl Report, json: bool) -> Result<ExitCode, CtlError> {
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, report).map_err(std::io::Error::other)?;
        writeln!(out)?;
    } else {
        report.write_text(&mut out)?;
    }
    out.flush()?;
    Ok(report.exit_code())
}

pub fn exit_code(clean: bool) -> ExitCode {
    ExitCode::from(u8::from(!clean))
}

/// Writes `rows` under `headers`, each column but the last padded to its widest cell.
pub fn table(
    out: &mut dyn Write,
    headers: &[&str],
    rows: impl IntoIterator<Item = Vec<String>>,
) -> std::io::Result<()> {
    let header = headers.iter().map(|h| h.to_string()).collect();
    let rows: Vec<Vec<String>> = std::iter::once(header).chain(rows).collect();
    let mut widths = vec![0; headers.len()];
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    for row in &rows {
        let line: String = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}  "))
            .collect();
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

/// `age`, with `≥ ` before it when not every message was looked at.
pub fn age_at_least(seconds: i64, partial: bool) -> String {
    let at_least = if partial { "≥ " } else { "" };
    format!("{at_least}{}", age(seconds))
}

/// `2024-01-15 10:30:00Z`: seconds are enough on a terminal.
pub fn time(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
        .replacen('T', " ", 1)
}

/// `45s`, `3m 12s`, `2h 05m`, `3d 04h`: how long ago, at a glance.
pub fn age(seconds: i64) -> String {
    let s = seconds.max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m {:02}s", s / 60, s % 60),
        3600..86_400 => format!("{}h {:02}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d {:02}h", s / 86_400, s % 86_400 / 3600),
    }
}

/// At most `max` characters of one line of `text`, with `…` where it was cut.
pub fn clip(text: &str, max: usize) -> String {
    let line = text.lines().next().unwrap_or_default();
    match line.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None if line.len() < text.trim_end().len() => format!("{line}…"),
        None => line.to_owned(),
    }
}

/// `-` for what is not known, so columns stay aligned.
pub fn or_dash(value: Option<impl ToString>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_as_wide_as_their_widest_cell() {
        let rows = [
            vec!["local-OrderEmailDLQ".into(), "3".into(), "x".into()],
            vec!["q".into(), "12".into(), "".into()],
        ];
        let mut out = Vec::new();
        table(&mut out, &["QUEUE", "DEPTH", "NOTE"], rows).expect("written");
        assert_eq!(
            String::from_utf8(out).expect("utf-8"),
            "QUEUE                DEPTH  NOTE\nlocal-OrderEmailDLQ  3      x\nq                    12\n"
        );
    }

    #[test]
    fn ages_read_at_a_glance() {
        assert_eq!(age(-3), "0s");
        assert_eq!(age(45), "45s");
        assert_eq!(age(192), "3m 12s");
        assert_eq!(age(7500), "2h 05m");
        assert_eq!(age(3 * 86_400 + 4 * 3600 + 59), "3d 04h");
    }

    #[test]
    fn a_long_or_multi_line_text_is_clipped_visibly() {
        assert_eq!(clip("short", 10), "short");
        assert_eq!(clip("ééééé", 3), "ééé…");
        assert_eq!(clip("first\nsecond", 10), "first…");
    }
}
