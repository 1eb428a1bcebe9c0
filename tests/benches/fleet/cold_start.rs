//! Section 5, cold start in Lambda mode: from starting a release binary to its first
//! `GET …/invocation/next` on a stand-in Runtime API.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use fleet_tests::runtime_api::RuntimeApi;
use fleet_tests::Stack;

use crate::report::{Figure, Row, Section, INIT_GOAL};
use crate::size::{baseline_of, BASELINES, FUNCTIONS};
use crate::stats::Samples;

/// Bounds the wait for a binary's first poll.
const PATIENCE: Duration = Duration::from_secs(60);

/// `runs` measured starts of each function and of the hello-worlds (after one
/// unmeasured each), from the release build and, if `make package` built them
/// for this machine, the bootstraps; `logs` receives each binary's output.
pub async fn run(
    stack: &Stack,
    runs: usize,
    release: &Path,
    target: &Path,
    logs: &Path,
) -> Section {
    let lambda_arch = match std::env::consts::ARCH {
        "aarch64" => "arm64",
        other => other,
    };
    let packaged = target.join("lambda").join(lambda_arch);
    let mut builds = vec![("release".to_owned(), release.to_owned(), false)];
    if FUNCTIONS
        .iter()
        .chain(&BASELINES)
        .all(|name| packaged.join(name).join("bootstrap").is_file())
    {
        builds.push((format!("lambda/{lambda_arch}"), packaged, true));
    }
    let mut rows = Vec::new();
    for (build, dir, is_package) in builds {
        let path = |name: &str| {
            if is_package {
                dir.join(name).join("bootstrap")
            } else {
                dir.join(name)
            }
        };
        // Round by round, each binary once per round, the limits first: a
        // machine that slows down mid-run (moto still busy, another process)
        // slows every binary alike, so the ratios hold.
        let names: Vec<&str> = BASELINES.iter().chain(&FUNCTIONS).copied().collect();
        let mut samples: Vec<Vec<Duration>> = vec![Vec::with_capacity(runs); names.len()];
        for run in 0..=runs {
            for (name, starts) in names.iter().zip(&mut samples) {
                let log = logs.join(format!("cold-start-{name}.log"));
                let took = first_poll(&path(name), name, stack, &log).await;
                if run > 0 {
                    starts.push(took);
                }
            }
        }
        let mut medians = std::collections::HashMap::new();
        for (name, starts) in names.iter().zip(samples) {
            let starts = Samples::new(starts);
            medians.insert(*name, starts.median());
            let mut figures = vec![
                Figure::time("median", starts.median(), "ms"),
                Figure::time("min", starts.min(), "ms"),
                Figure::time("max", starts.max(), "ms"),
            ];
            if FUNCTIONS.contains(name) {
                let baseline = baseline_of(name);
                let limit = medians.get(baseline).copied().unwrap_or_default();
                figures.push(
                    Figure::ratio(
                        &format!("vs {baseline}"),
                        starts.median().as_secs_f64(),
                        limit.as_secs_f64(),
                    )
                    .with_goal(INIT_GOAL),
                );
            }
            rows.push(Row::new(
                format!("{build}/{name}"),
                format!("{runs} runs, in rounds, after 1 unmeasured"),
                figures,
            ));
        }
    }
    Section {
        id: "cold_start".to_owned(),
        title: "5. Cold start in Lambda mode: process start → first /invocation/next".to_owned(),
        note: "Each binary starts with AWS_LAMBDA_RUNTIME_API set, the stack's settings and \
               Lambda's own variables, against the harness's Runtime API stand-in. It \
               includes logging, config and SDK set-up. The workers look their queue up \
               on the first batch, not before the first poll. Each function's median is set \
               against a hello-world's, measured in the same rounds (lambda_http for \
               order-api, lambda_runtime for the others). Not included: Lambda's own sandbox start \
               and the download of the code; here the page cache is warm."
            .to_owned(),
        rows,
    }
}

/// Starts `binary` in Lambda mode and times it until its first poll.
async fn first_poll(binary: &Path, function: &str, stack: &Stack, log: &Path) -> Duration {
    let api = RuntimeApi::start().await;
    let file = std::fs::File::create(log)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", log.display()));
    let err = file
        .try_clone()
        .unwrap_or_else(|e| panic!("cannot share {}: {e}", log.display()));
    let lambda = [
        ("AWS_LAMBDA_RUNTIME_API", api.address.clone()),
        (
            "AWS_LAMBDA_FUNCTION_NAME",
            format!("{}-{function}", stack.env),
        ),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256".to_owned()),
        ("RUST_LOG", "info".to_owned()),
    ];
    let started = Instant::now();
    let mut child = Command::new(binary)
        .env_clear()
        .envs(stack.env_vars())
        .envs(lambda)
        .stdin(Stdio::null())
        .stdout(file)
        .stderr(err)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
    let polled = api.first_poll(PATIENCE).await;
    let _ = child.kill();
    let _ = child.wait();
    match polled {
        Some(at) => at.duration_since(started),
        None => panic!(
            "{} never asked for an event within {PATIENCE:?}; its output: {}\n{}",
            binary.display(),
            log.display(),
            std::fs::read_to_string(log).unwrap_or_default()
        ),
    }
}
