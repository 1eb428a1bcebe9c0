//! Section 5, cold start in Lambda mode: from starting a release binary to its first
//! `GET …/invocation/next` on a stand-in Runtime API.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use fleet_tests::runtime_api::RuntimeApi;
use fleet_tests::Stack;

use crate::report::{Figure, Row, Section};
use crate::size::FUNCTIONS;
use crate::stats::Samples;

/// Bounds the wait for a binary's first poll.
const PATIENCE: Duration = Duration::from_secs(60);

/// `runs` measured starts of each function (after one unmeasured), from the
/// release build and, if `make package` built them for this machine, the
/// bootstraps; `logs` receives each binary's output.
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
    let mut rows = Vec::new();
    for function in FUNCTIONS {
        let bootstrap = target
            .join("lambda")
            .join(lambda_arch)
            .join(function)
            .join("bootstrap");
        let mut builds = vec![(format!("release/{function}"), release.join(function))];
        if bootstrap.is_file() {
            builds.push((
                format!("lambda/{lambda_arch}/{function}/bootstrap"),
                bootstrap,
            ));
        }
        for (name, binary) in builds {
            let log = logs.join(format!("cold-start-{function}.log"));
            let mut starts = Vec::with_capacity(runs);
            for run in 0..=runs {
                let took = first_poll(&binary, function, stack, &log).await;
                if run > 0 {
                    starts.push(took);
                }
            }
            let starts = Samples::new(starts);
            rows.push(Row::new(
                name,
                format!("{runs} runs after 1 unmeasured"),
                vec![
                    Figure::time("median", starts.median(), "ms"),
                    Figure::time("min", starts.min(), "ms"),
                    Figure::time("max", starts.max(), "ms"),
                ],
            ));
        }
    }
    Section {
        id: "cold_start".to_owned(),
        title: "5. Cold start in Lambda mode: process start → first /invocation/next".to_owned(),
        note: "Each binary starts with AWS_LAMBDA_RUNTIME_API set, the stack's settings and \
               Lambda's own variables, against the harness's Runtime API stand-in. It \
               includes logging and config set-up and, for the workers, resolving their \
               queue and its DLQ (two SQS calls to the local moto, measured before sections 2 and 3 \
               load it) before the first poll. Not included: Lambda's own sandbox start and the download of the code; here \
               the page cache is warm."
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
