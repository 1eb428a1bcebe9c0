//! What the orderctl end-to-end tests share: running the binary against a
//! stack, and probes of the queues and of the mail sent.

// Each test file uses a different part of this module.
#![allow(dead_code)]

use std::collections::{BTreeSet, HashMap};
use std::process::Stdio;

use fleet_tests::probes::PATIENCE;
use fleet_tests::{LocalAws, Stack};
use serde_json::Value;

/// One run of the binary.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not one JSON document ({e}):\n{self:#?}"))
    }

    pub fn succeeded(self) -> Run {
        assert_eq!(self.code, Some(0), "orderctl failed:\n{self:#?}");
        self
    }

    pub fn failed_with(self, words: &str) -> Run {
        assert!(
            matches!(self.code, Some(code) if code != 0),
            "orderctl succeeded:\n{self:#?}"
        );
        assert!(self.stderr.contains(words), "no {words:?} in:\n{self:#?}");
        assert!(!self.stderr.contains("panicked"), "{self:#?}");
        self
    }
}

/// Runs `orderctl <args> --env <stack>` with the stack's settings, as a
/// fleet binary gets them, plus `extra` (which win).
pub async fn orderctl(stack: &Stack, args: &[&str], extra: &[(&str, &str)]) -> Run {
    let args = [args, &["--env", &stack.env]].concat();
    orderctl_as_typed(stack, &args, &[], extra).await
}

/// Runs `orderctl <args>` as typed — the environment comes from the stack's
/// `ENVIRONMENT` unless `args` name one — with the stack's settings less
/// `unset`, plus `extra` (which win).
pub async fn orderctl_as_typed(
    stack: &Stack,
    args: &[&str],
    unset: &[&str],
    extra: &[(&str, &str)],
) -> Run {
    let mut command = tokio::process::Command::new(fleet_tests::binary("orderctl"));
    command
        .args(args)
        .envs(stack.env_vars())
        .envs(extra.iter().copied());
    for name in unset {
        command.env_remove(name);
    }
    let output = command.env("NO_COLOR", "1").stdin(Stdio::null()).output();
    let output = tokio::time::timeout(PATIENCE, output)
        .await
        .unwrap_or_else(|_| panic!("orderctl {args:?} did not finish within {PATIENCE:?}"))
        .unwrap_or_else(|e| panic!("cannot run orderctl: {e}"));
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// How many mails moto's SES accepted for each recipient.
pub async fn mails(local: &LocalAws) -> HashMap<String, usize> {
    let state = local.moto_state().await;
    let mut counts = HashMap::new();
    for message in state["ses"]["Message"].as_array().into_iter().flatten() {
        let mut to = Vec::new();
        addresses(&message["destinations"], &mut to);
        for address in to {
            *counts.entry(address).or_default() += 1;
        }
    }
    counts
}

/// Every address in moto's `destinations`, whichever shape it has.
fn addresses(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(address) => out.push(address.clone()),
        Value::Array(items) => items.iter().for_each(|v| addresses(v, out)),
        Value::Object(map) => map.values().for_each(|v| addresses(v, out)),
        _ => {}
    }
}

pub fn strings(value: &Value, field: &str) -> BTreeSet<String> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v[field].as_str().map(str::to_owned))
        .collect()
}
