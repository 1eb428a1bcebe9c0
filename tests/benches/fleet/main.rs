//! `make bench`: what the fleet costs in time and bytes, measured and never
//! asserted. Prints a report and writes it to `target/bench/report.json`,
//! keeping the previous run's as `report.previous.json` and printing each
//! figure's change against it.
//!
//! ```sh
//! make bench                                             # builds the release binaries first
//! cargo bench -p fleet-tests --bench fleet -- edge size  # only the sections named
//! ```
//!
//! A run of some sections is compared with `report.json` too, but written to
//! `report.partial.json`, so that it never replaces a whole run's figures.
//!
//! Sizes: `BENCH_REQUESTS` (HTTP requests per run, 200), `BENCH_EVENTS`
//! (events through the workers, 200), `BENCH_COLD_STARTS` (runs per binary, 21),
//! `BENCH_BACKLOG` (orders the relay drains, 1000), `BENCH_COST_ORDERS`
//! (orders counted through the whole fleet, 200).
//!
//! # Layout
//!
//! - [`edge`]: 1, the edge's CPU cost in-process (`parse_order`, the router on fakes).
//! - [`http`]: 2, the real order-api over HTTP against moto.
//! - [`workers`]: 3, both workers' throughput against moto.
//! - [`size`]: 4, the release binaries and the bootstrap zips.
//! - [`cold_start`]: 5, Lambda mode, from start to the first poll of the Runtime API.
//! - [`relay`]: 6, the outbox relay draining a backlog against moto's ceiling for its calls.
//! - [`cost`]: 7, every AWS call of an order through the whole fleet, its
//!   DynamoDB units and its dollars ([`prices`]: the list prices and the
//!   unit arithmetic).
//! - [`ceiling`]: moto's own ceiling for the calls of sections 2 and 3.
//!
//! Figures the issue sets a goal for carry it, are marked met or NOT MET,
//! and are listed as a Markdown table in `target/bench/goals.md` (README's
//! Benchmarks section shows it).
//! - [`stats`]: timing loops and percentiles; [`report`]: the report, as text and JSON.

// The report is this program's output.
#![allow(clippy::print_stdout)]

mod ceiling;
mod cold_start;
mod cost;
mod edge;
mod http;
mod prices;
mod relay;
mod report;
mod size;
mod stats;
mod workers;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{SystemTime, UNIX_EPOCH};

use fleet_tests::{LocalAws, Stack};

use report::{Machine, Report};

/// Every section, in the order they print.
const SECTIONS: [&str; 7] = [
    "edge",
    "http",
    "workers",
    "size",
    "cold_start",
    "relay",
    "cost",
];
/// The order they run: those that load moto last, since moto stays busy a
/// while after them (a stopped worker's long poll lives on for up to 20 s),
/// which would slow the workers' cold starts (their first SQS calls).
const RUN_ORDER: [&str; 7] = [
    "edge",
    "size",
    "cold_start",
    "http",
    "relay",
    "workers",
    "cost",
];
/// The sections that talk to moto.
const ON_MOTO: [&str; 5] = ["http", "workers", "cold_start", "relay", "cost"];

fn main() -> ExitCode {
    // cargo passes `--bench`; any other argument names a section to run.
    let named: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    if let Some(unknown) = named.iter().find(|n| !SECTIONS.contains(&n.as_str())) {
        eprintln!("bench: no section {unknown:?}; the sections: {SECTIONS:?}");
        return ExitCode::FAILURE;
    }
    let selected: Vec<&str> = RUN_ORDER
        .into_iter()
        .filter(|s| named.is_empty() || named.iter().any(|n| n == s))
        .collect();

    let release = release_dir();
    let target = release.parent().unwrap_or(&release).to_owned();
    if selected.iter().any(|s| *s != "edge") {
        if let Some(missing) = size::BINARIES
            .iter()
            .map(|name| release.join(name))
            .find(|path| !path.is_file())
        {
            eprintln!(
                "bench: {} is not built: run `cargo build --release --workspace --bins` \
                 first (`make bench` does)",
                missing.display()
            );
            return ExitCode::FAILURE;
        }
    }
    let local = if selected.iter().any(|s| ON_MOTO.contains(s)) {
        match reach_moto() {
            Ok(local) => Some(local),
            Err(why) => {
                eprintln!(
                    "bench: cannot reach moto, which sections {ON_MOTO:?} need:\n  {why}\n  \
                     `make bench` installs it into .venv and the bench starts its own; \
                     MOTO_ENDPOINT=http://… names a running one."
                );
                return ExitCode::FAILURE;
            }
        }
    } else {
        None
    };

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("a tokio runtime: {e}"));
    let started_at = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let logs = target.join("bench").join("logs");
    let _ = std::fs::create_dir_all(&logs);
    let moto = || local.unwrap_or_else(|| unreachable!("moto is reached for its sections"));
    let mut sections = Vec::new();
    for (i, id) in selected.iter().enumerate() {
        eprintln!("bench: [{}/{}] {id}…", i + 1, selected.len());
        let section = match *id {
            "edge" => edge::run(),
            "http" => runtime.block_on(http::run(moto(), knob("BENCH_REQUESTS", 200))),
            "workers" => runtime.block_on(workers::run(moto(), knob("BENCH_EVENTS", 200))),
            "relay" => runtime.block_on(relay::run(moto(), knob("BENCH_BACKLOG", 1000))),
            "cost" => runtime.block_on(cost::run(moto(), knob("BENCH_COST_ORDERS", 200))),
            "size" => size::run(&release, &target),
            "cold_start" => runtime.block_on(async {
                // The binaries need a stack's settings; the workers resolve its queues.
                let stack = Stack::create(moto()).await;
                let runs = knob("BENCH_COLD_STARTS", 21);
                cold_start::run(&stack, runs, &release, &target, &logs).await
            }),
            other => unreachable!("no section {other}"),
        };
        sections.push(section);
    }
    sections.sort_by_key(|s| SECTIONS.iter().position(|id| *id == s.id));

    let report = Report {
        started_at,
        revision: revision(),
        machine: machine(),
        sections,
    };
    let whole = target.join("bench").join("report.json");
    let previous = Report::read(&whole);
    let path = if named.is_empty() {
        whole
    } else {
        target.join("bench").join("report.partial.json")
    };
    println!("{}", report.render(previous.as_ref()));
    let goals = path.with_file_name(if named.is_empty() {
        "goals.md"
    } else {
        "goals.partial.md"
    });
    if let Err(e) = std::fs::write(&goals, report.goals_table()) {
        eprintln!("bench: cannot write {}: {e}", goals.display());
    }
    match report.write(&path) {
        Ok(()) => {
            eprintln!("bench: wrote {}", path.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bench: cannot write {}: {e}", path.display());
            ExitCode::FAILURE
        }
    }
}

/// The harness's moto, or why there is none (it panics with what to do).
fn reach_moto() -> Result<&'static LocalAws, String> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let reached = std::panic::catch_unwind(LocalAws::shared);
    std::panic::set_hook(hook);
    reached.map_err(|payload| {
        payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "moto did not start".to_owned())
    })
}

/// `target/release`: where cargo put this bench, next to the release binaries.
fn release_dir() -> PathBuf {
    let exe = std::env::current_exe()
        .unwrap_or_else(|e| panic!("cannot locate the bench executable: {e}"));
    // target/release/deps/fleet-<hash> → target/release
    exe.parent()
        .and_then(Path::parent)
        .map(Path::to_owned)
        .unwrap_or_else(|| panic!("unexpected bench executable path {}", exe.display()))
}

/// A positive whole number from the environment, or `default`.
fn knob(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Err(_) => default,
        Ok(value) => match value.parse() {
            Ok(n) if n > 0 => n,
            _ => panic!("{name}={value:?}: expected a positive whole number"),
        },
    }
}

fn revision() -> String {
    Command::new("git")
        .args(["describe", "--always", "--dirty"])
        .current_dir(fleet_tests::repo_root())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "unknown".to_owned())
}

fn machine() -> Machine {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu_model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name")?.split_once(':'))
        .map_or_else(|| "unknown CPU".to_owned(), |(_, m)| m.trim().to_owned());
    Machine {
        cpus: std::thread::available_parallelism().map_or(0, |n| n.get()),
        cpu_model,
        os: std::env::consts::OS.to_owned(),
        arch: std::env::consts::ARCH.to_owned(),
    }
}
