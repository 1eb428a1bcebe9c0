//! A function binary in Lambda mode, as Lambda runs it: the environment
//! `infra/template.yaml` gives it (resolved for a test stack), Lambda's own
//! variables, and a stand-in Runtime API ([`crate::runtime_api`]).
//!
//! The binaries are the workspace's debug builds, or — with
//! `LAMBDA_BOOTSTRAP_DIR=target/lambda/x86_64` (`make test-lambda`) — the
//! release `bootstrap` files `make package` zips.

pub mod events;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use serde_json::Value as Json;

use crate::probes::PATIENCE;
use crate::runtime_api::{Answer, AnswerKind, RuntimeApi};
use crate::Stack;

/// A function as the template defines it, resolved for a stack by the
/// `local-stack` crate (the one intrinsic resolver).
#[derive(Debug, Clone)]
pub struct Function {
    /// The binary's name: `order-api`, `email-worker`, `audit-worker`.
    pub binary: &'static str,
    /// The deployed name (`<env>-OrderApi`).
    pub name: String,
    pub memory_size: u64,
    /// `Environment.Variables`, resolved for the stack.
    pub variables: Vec<(String, String)>,
}

impl Function {
    /// The template's `logical_id` function, resolved for `stack`.
    pub fn from_template(stack: &Stack, logical_id: &str, binary: &'static str) -> Function {
        let spec = stack
            .template
            .function(logical_id)
            .unwrap_or_else(|| panic!("the template has no function {logical_id}"));
        Function {
            binary,
            name: spec.name.clone(),
            memory_size: spec.memory_size,
            variables: spec.variables.clone(),
        }
    }

    /// The file to run.
    pub fn bootstrap(&self) -> PathBuf {
        match std::env::var_os("LAMBDA_BOOTSTRAP_DIR") {
            Some(dir) => {
                let path = PathBuf::from(dir).join(self.binary).join("bootstrap");
                assert!(
                    path.is_file(),
                    "{} is missing: run `make package` first",
                    path.display()
                );
                path
            }
            None => crate::binary(self.binary),
        }
    }
}

/// A function binary running in Lambda mode; killed when dropped, and gone
/// anyway once its Runtime API (in this test process) is.
#[derive(Debug)]
pub struct Sandbox {
    pub name: &'static str,
    child: Child,
    log: PathBuf,
}

impl Sandbox {
    /// Starts `function` against `api` with the environment Lambda would give
    /// it: its template variables, Lambda's own, and the local AWS's endpoint
    /// and dummy credentials; prints the time from its start to its first
    /// request for an event.
    pub async fn start(function: &Function, stack: &Stack, api: &RuntimeApi) -> Sandbox {
        let binary = function.bootstrap();
        let log = log_dir().join(format!("{}-{}.log", stack.env, function.binary));
        let file = std::fs::File::create(&log)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", log.display()));
        let err = file
            .try_clone()
            .unwrap_or_else(|e| panic!("cannot share {}: {e}", log.display()));
        let local: Vec<(&str, String)> = stack
            .env_vars()
            .into_iter()
            .filter(|(name, _)| name.starts_with("AWS_"))
            .collect();
        let lambda = [
            ("AWS_LAMBDA_RUNTIME_API", api.address.clone()),
            ("AWS_LAMBDA_FUNCTION_NAME", function.name.clone()),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
            (
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
                function.memory_size.to_string(),
            ),
            (
                "AWS_LAMBDA_LOG_GROUP_NAME",
                format!("/aws/lambda/{}", function.name),
            ),
            (
                "AWS_LAMBDA_LOG_STREAM_NAME",
                "2026/11/21/[$LATEST]test".to_owned(),
            ),
            ("_HANDLER", "bootstrap".to_owned()),
            ("TZ", ":UTC".to_owned()),
        ];
        let started = Instant::now();
        let child = Command::new(&binary)
            // Only what Lambda would set: nothing leaks in from the test's shell.
            .env_clear()
            .envs(
                function
                    .variables
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str())),
            )
            .envs(lambda.iter().map(|(k, v)| (*k, v.as_str())))
            .envs(local.iter().map(|(k, v)| (*k, v.as_str())))
            .stdin(Stdio::null())
            .stdout(file)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let mut sandbox = Sandbox {
            name: function.binary,
            child,
            log,
        };
        let first_poll = api.first_poll(PATIENCE).await.unwrap_or_else(|| {
            panic!(
                "{} never asked for an event (running: {})\n{}",
                function.binary,
                sandbox.is_running(),
                sandbox.log_tail()
            )
        });
        // stderr: shown with `--nocapture` (as `make test-lambda` runs it).
        eprintln!(
            "{:<13} {} -> first /invocation/next in {:>4} ms",
            function.binary,
            binary.display(),
            first_poll.duration_since(started).as_millis()
        );
        sandbox
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn log_tail(&self) -> String {
        crate::process::log_tail(self.name, &self.log)
    }

    /// Invokes the function with `event` and returns its successful answer.
    pub async fn invoke(&self, api: &mut RuntimeApi, request_id: &str, event: &Json) -> Answer {
        let answer = api
            .call(request_id, event, PATIENCE, || self.log_tail())
            .await;
        assert_eq!(
            answer.kind,
            AnswerKind::Response,
            "{answer:?}\n{}",
            self.log_tail()
        );
        answer
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `target/debug/lambda-mode/`, next to the test binaries, ignored by git.
fn log_dir() -> PathBuf {
    let dir = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.join("lambda-mode")))
        .unwrap_or_else(std::env::temp_dir);
    let _ = std::fs::create_dir_all(&dir);
    dir
}
