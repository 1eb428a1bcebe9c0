//! The fleet's real binaries as child processes of a test.
//!
//! Each runs in local mode against a test [`Stack`], logs to a file under
//! `target/debug/e2e-logs/` (shown when a test fails), and is stopped with
//! SIGTERM when dropped. A shell watchdog stops it too when the test process
//! itself is gone, so a killed test run leaves nothing polling or listening.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::Stack;

/// Runs `$@`; stops it when the parent (`$1`) is gone; passes TERM on.
const WATCHDOG: &str = r#"
parent=$1; shift
"$@" &
child=$!
trap 'kill -TERM "$child" 2>/dev/null; wait "$child"; exit $?' TERM INT HUP
while kill -0 "$parent" 2>/dev/null && kill -0 "$child" 2>/dev/null; do sleep 1; done
kill -TERM "$child" 2>/dev/null
wait "$child"
"#;

/// A fleet binary running against a stack; stopped when dropped.
#[derive(Debug)]
pub struct FleetProcess {
    pub name: &'static str,
    child: Child,
    log: PathBuf,
}

impl FleetProcess {
    /// Starts `target/debug/<name>` with the stack's settings and `extra`
    /// ones (which win).
    pub fn start(name: &'static str, stack: &Stack, extra: &[(&str, String)]) -> FleetProcess {
        FleetProcess::start_as(name, "", stack, extra)
    }

    /// [`FleetProcess::start`] for one of several copies of a binary: `instance`
    /// names its log (`<env>-email-worker-2.log`), which would otherwise be shared.
    pub fn start_as(
        name: &'static str,
        instance: &str,
        stack: &Stack,
        extra: &[(&str, String)],
    ) -> FleetProcess {
        let binary = crate::binary(name);
        let suffix = if instance.is_empty() {
            String::new()
        } else {
            format!("-{instance}")
        };
        let log = log_dir().join(format!("{}-{name}{suffix}.log", stack.env));
        let file = std::fs::File::create(&log)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", log.display()));
        let err = file
            .try_clone()
            .unwrap_or_else(|e| panic!("cannot share {}: {e}", log.display()));
        let child = Command::new("sh")
            .arg("-c")
            .arg(WATCHDOG)
            .arg("fleet-watchdog")
            .arg(std::process::id().to_string())
            .arg(&binary)
            // Local mode unless the test asks for Lambda mode in `extra`.
            .env_remove("AWS_LAMBDA_RUNTIME_API")
            .envs(stack.env_vars())
            .env("RUST_LOG", "info")
            // The log is a file, not a terminal.
            .env("NO_COLOR", "1")
            .envs(extra.iter().map(|(k, v)| (*k, v.as_str())))
            .stdin(Stdio::null())
            .stdout(file)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        FleetProcess { name, child, log }
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Sends SIGTERM and waits (bounded) for a clean exit.
    pub fn stop(&mut self) -> Option<ExitStatus> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        None
    }

    /// The binary's peak resident memory so far, in bytes (`VmHWM`), if it runs.
    pub fn peak_rss(&self) -> Option<u64> {
        let pid = self.binary_pids().into_iter().next()?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let kib = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse::<u64>()
            .ok()?;
        Some(kib * 1024)
    }

    /// The binary's process ids: the watchdog shell's children.
    fn binary_pids(&self) -> Vec<String> {
        let shell = self.child.id();
        std::fs::read_to_string(format!("/proc/{shell}/task/{shell}/children"))
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    }

    /// Stops the binary where it is (SIGSTOP), until [`FleetProcess::resume`].
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    /// Lets a paused binary go on (SIGCONT).
    pub fn resume(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, signal: &str) {
        for pid in self.binary_pids() {
            let _ = Command::new("kill").args([signal, &pid]).status();
        }
    }

    /// Kills the binary with SIGKILL, as a crash or the OOM killer would:
    /// no batch finished, no record failed or deleted. (The watchdog shell then exits.)
    pub fn crash(&mut self) {
        let shell = self.child.id();
        // The binary is the watchdog's only child; killing the shell alone
        // would leave it running.
        let pids = self.binary_pids();
        assert!(
            !pids.is_empty(),
            "{} (watchdog {shell}) has no process to kill",
            self.name
        );
        for pid in &pids {
            let _ = Command::new("kill").args(["-KILL", pid]).status();
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.is_running() {
            assert!(
                Instant::now() < deadline,
                "{}'s watchdog did not exit after its binary was killed",
                self.name
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Everything the process logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// For an `outbox-relay`: the orders its sweeps reported published so
    /// far (the `published=` of each `outbox sweep` line), read from its log
    /// at no cost to the local AWS.
    pub fn relay_published(&self) -> usize {
        self.log()
            .lines()
            .filter(|line| line.contains("outbox sweep"))
            .filter_map(|line| {
                line.split_whitespace()
                    .find_map(|field| field.strip_prefix("published="))
                    .and_then(|n| n.parse::<usize>().ok())
            })
            .sum()
    }

    /// The end of the log, for failure messages.
    pub fn log_tail(&self) -> String {
        log_tail(self.name, &self.log)
    }
}

/// The last 30 lines of the log file of process `name`, headed by its path.
pub fn log_tail(name: &str, log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    format!(
        "--- {name} ({}) ---\n{}",
        log.display(),
        lines[lines.len().saturating_sub(30)..].join("\n")
    )
}

impl Drop for FleetProcess {
    fn drop(&mut self) {
        if self.is_running() && self.stop().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// `target/debug/e2e-logs/`, ignored by git.
fn log_dir() -> PathBuf {
    let dir = crate::binary("order-api")
        .parent()
        .map(|debug| debug.join("e2e-logs"))
        .unwrap_or_else(std::env::temp_dir);
    let _ = std::fs::create_dir_all(&dir);
    dir
}
