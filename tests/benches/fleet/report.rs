//! The report: sections of rows of figures, printed for people and written as
//! JSON (`target/bench/report.json`) for comparison between runs. When the
//! previous run's report is there, each figure is printed with its change.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::stats::Samples;

#[derive(Debug, Serialize, Deserialize)]
pub struct Report {
    /// Seconds since the Unix epoch, when the run started.
    pub started_at: u64,
    /// `git describe --always --dirty` of the tree measured.
    pub revision: String,
    pub machine: Machine,
    pub sections: Vec<Section>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Machine {
    pub cpus: usize,
    pub cpu_model: String,
    pub os: String,
    pub arch: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Section {
    /// A stable name (`edge`, `http`, …): what runs are compared by.
    pub id: String,
    pub title: String,
    /// What the figures include and what they do not.
    pub note: String,
    pub rows: Vec<Row>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Row {
    pub name: String,
    /// How much was measured: iterations, requests, runs.
    pub detail: String,
    pub figures: Vec<Figure>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Figure {
    pub name: String,
    pub value: f64,
    pub unit: String,
    /// The figure the issue asks for, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goal: Option<Goal>,
    /// Whether `value` reaches `goal`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub met: Option<bool>,
}

/// A bound a figure should keep, in the figure's own unit.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Goal {
    AtMost(f64),
    AtLeast(f64),
}

impl Goal {
    fn met_by(self, value: f64) -> bool {
        match self {
            Goal::AtMost(bound) => value <= bound,
            Goal::AtLeast(bound) => value >= bound,
        }
    }

    fn render(self, unit: &str) -> String {
        match self {
            Goal::AtMost(bound) => format!("≤ {}", format_value(bound, unit)),
            Goal::AtLeast(bound) => format!("≥ {}", format_value(bound, unit)),
        }
    }
}

/// Each function's zip: at most 2.5 MiB.
pub const ZIP_GOAL: Goal = Goal::AtMost(2.5 * 1024.0 * 1024.0);
/// Each binary's peak resident memory under load: at most 30 MiB.
pub const RSS_GOAL: Goal = Goal::AtMost(30.0 * 1024.0 * 1024.0);
/// A function's init against a hello-world's: at most 1.5 times.
pub const INIT_GOAL: Goal = Goal::AtMost(1.5);
/// `parse_order` for a 50-item order: at most 30 µs (in the row's ns/op),
/// the bound issue 20 set for the simpler parser (raw values and one pass of
/// rules, ~19 µs; the streaming visitors it replaced took ~13 µs).
/// An absolute bound: no limit to measure it against does the same work.
pub const PARSE_GOAL: Goal = Goal::AtMost(30_000.0);
/// Throughput against moto's own ceiling for the same calls: at least 0.8 of it.
pub const THROUGHPUT_GOAL: Goal = Goal::AtLeast(0.8);

impl Figure {
    pub fn new(name: &str, value: f64, unit: &str) -> Figure {
        Figure {
            name: name.to_owned(),
            value,
            unit: unit.to_owned(),
            goal: None,
            met: None,
        }
    }

    /// `value / limit`, named `name`: how many times the limit measured in
    /// the same run (`×`).
    pub fn ratio(name: &str, value: f64, limit: f64) -> Figure {
        let ratio = if limit > 0.0 { value / limit } else { f64::NAN };
        Figure::new(name, ratio, "×")
    }

    /// This figure, judged against `goal`.
    pub fn with_goal(mut self, goal: Goal) -> Figure {
        self.met = Some(goal.met_by(self.value));
        self.goal = Some(goal);
        self
    }

    /// A duration in `unit`: `ns`, `µs`, `ms` or `s`, optionally per something (`ns/op`).
    pub fn time(name: &str, duration: Duration, unit: &str) -> Figure {
        let scale = match unit.split('/').next().unwrap_or(unit) {
            "ns" => 1e9,
            "µs" => 1e6,
            "ms" => 1e3,
            "s" => 1.0,
            other => panic!("not a unit of time: {other}"),
        };
        Figure::new(name, duration.as_secs_f64() * scale, unit)
    }
}

impl Row {
    pub fn new(name: impl Into<String>, detail: impl Into<String>, figures: Vec<Figure>) -> Row {
        Row {
            name: name.into(),
            detail: detail.into(),
            figures,
        }
    }

    /// p50, p95, p99 and max of `samples`, in `unit`.
    pub fn latencies(
        name: impl Into<String>,
        detail: impl Into<String>,
        samples: &Samples,
        unit: &str,
    ) -> Row {
        let figures = vec![
            Figure::time("p50", samples.median(), unit),
            Figure::time("p95", samples.percentile(95.0), unit),
            Figure::time("p99", samples.percentile(99.0), unit),
            Figure::time("max", samples.max(), unit),
        ];
        Row::new(name, detail, figures)
    }
}

impl Report {
    /// The report as text, each figure with its change since `previous`.
    pub fn render(&self, previous: Option<&Report>) -> String {
        let before = previous.map(Report::figures).unwrap_or_default();
        let mut out = String::new();
        let m = &self.machine;
        let _ = writeln!(
            out,
            "\nOrder fleet benchmarks — {} CPUs ({}), {} {}, tree {}",
            m.cpus, m.cpu_model, m.os, m.arch, self.revision
        );
        if let Some(previous) = previous {
            let _ = writeln!(
                out,
                "(changes in brackets: against the previous run, tree {}, {} s earlier)",
                previous.revision,
                self.started_at.saturating_sub(previous.started_at)
            );
        }
        for section in &self.sections {
            let _ = writeln!(out, "\n{}", section.title);
            for line in wrap(&section.note, 92) {
                let _ = writeln!(out, "   {line}");
            }
            let width = section.rows.iter().map(|r| r.name.chars().count()).max();
            for row in &section.rows {
                let figures: Vec<String> = row
                    .figures
                    .iter()
                    .map(|f| {
                        let key = key(&section.id, &row.name, &f.name);
                        let change = before
                            .get(&key)
                            .map_or(String::new(), |old| format!(" [{}]", change(*old, f.value)));
                        let goal = f.goal.map_or(String::new(), |goal| {
                            let met = if f.met == Some(true) {
                                "met"
                            } else {
                                "NOT MET"
                            };
                            format!(" (goal {}: {met})", goal.render(&f.unit))
                        });
                        format!(
                            "{} {}{change}{goal}",
                            f.name,
                            format_value(f.value, &f.unit)
                        )
                    })
                    .collect();
                let _ = writeln!(
                    out,
                    "   {:<width$}  {}   ({})",
                    row.name,
                    figures.join("  "),
                    row.detail,
                    width = width.unwrap_or(0)
                );
            }
        }
        out
    }

    /// Every figure with a goal, as a Markdown table (README's Benchmarks
    /// section copies it from `target/bench/goals.md`).
    pub fn goals_table(&self) -> String {
        let mut out = String::from("| figure | measured | goal | |\n|---|---|---|---|\n");
        for section in &self.sections {
            for row in &section.rows {
                for f in row.figures.iter().filter(|f| f.goal.is_some()) {
                    let _ = writeln!(
                        out,
                        "| {} — {} | {} | {} | {} |",
                        row.name,
                        f.name,
                        format_value(f.value, &f.unit),
                        f.goal.map_or(String::new(), |g| g.render(&f.unit)),
                        if f.met == Some(true) {
                            "met"
                        } else {
                            "**not met**"
                        }
                    );
                }
            }
        }
        out
    }

    /// Every figure by `section/row/figure`.
    fn figures(&self) -> HashMap<String, f64> {
        let mut all = HashMap::new();
        for section in &self.sections {
            for row in &section.rows {
                for figure in &row.figures {
                    all.insert(key(&section.id, &row.name, &figure.name), figure.value);
                }
            }
        }
        all
    }

    /// The report at `path`, if there is a readable one.
    pub fn read(path: &Path) -> Option<Report> {
        let text = std::fs::read_to_string(path).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Writes the report to `path`, keeping the one there as `<stem>.previous.json`.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        if path.is_file() {
            std::fs::rename(path, path.with_extension("previous.json"))?;
        }
        let json = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        std::fs::write(path, json + "\n")
    }
}

fn key(section: &str, row: &str, figure: &str) -> String {
    format!("{section}/{row}/{figure}")
}

fn change(old: f64, new: f64) -> String {
    if old == 0.0 {
        return "new".to_owned();
    }
    format!("{:+.1}%", (new - old) / old * 100.0)
}

/// Three significant digits or so; bytes whole, with thousands separators, and in MiB.
fn format_value(value: f64, unit: &str) -> String {
    if unit == "B" {
        let mib = value / (1024.0 * 1024.0);
        return format!("{} B ({mib:.2} MiB)", thousands(value.round() as u64));
    }
    if unit == "×" {
        return format!("{value:.2}×");
    }
    let digits = match value.abs() {
        v if v >= 100.0 => 0,
        v if v >= 10.0 => 1,
        _ => 2,
    };
    format!("{value:.digits$} {unit}")
}

pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `text` in lines of at most `width` characters, broken between words.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split_whitespace() {
        let last = lines.last_mut().map_or(0, |l| l.chars().count());
        if last > 0 && last + 1 + word.chars().count() > width {
            lines.push(String::new());
        }
        if let Some(line) = lines.last_mut() {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
    }
    lines
}
