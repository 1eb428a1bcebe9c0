//! A moto server for the tests of one process.
//!
//! `MOTO_ENDPOINT` names a running one; otherwise the first test to ask starts
//! moto (`scripts/moto_server.py`, run by the venv's Python) on a free port and
//! every later test shares it.
//! Rust never drops statics, so the server is started under a small shell
//! watchdog that stops it once the test process is gone, however it ended.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use aws_config::SdkConfig;
use aws_sdk_sqs::config::{BehaviorVersion, Credentials, Region, SharedCredentialsProvider};

/// The region every local client and binary uses.
pub const REGION: &str = "us-east-1";
/// How long moto may take to answer after it is started.
const STARTUP: Duration = Duration::from_secs(30);

/// Stops `$@` (moto) once the parent process (`$1`) is gone, or when told to stop.
const WATCHDOG: &str = r#"
parent=$1; shift
"$@" &
child=$!
trap 'kill "$child" 2>/dev/null; exit 0' TERM INT HUP
while kill -0 "$parent" 2>/dev/null && kill -0 "$child" 2>/dev/null; do sleep 1; done
kill "$child" 2>/dev/null
wait "$child"
"#;

/// An endpoint to a running moto.
#[derive(Debug)]
pub struct LocalAws {
    endpoint: String,
    /// The watchdog shell, when this process started moto.
    _server: Option<Child>,
}

static SHARED: OnceLock<LocalAws> = OnceLock::new();

impl LocalAws {
    /// The process-wide moto: `MOTO_ENDPOINT`, or one started on first use.
    ///
    /// Panics with what to do when moto is not installed or does not answer.
    pub fn shared() -> &'static LocalAws {
        SHARED.get_or_init(LocalAws::start)
    }

    /// A moto of this caller's own (`MOTO_ENDPOINT` if set), stopped when dropped.
    pub fn own() -> LocalAws {
        LocalAws::start()
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// SDK settings for moto: its endpoint, dummy credentials, bounded timeouts.
    ///
    /// Build one per test: an HTTP client's pooled connections belong to the
    /// tokio runtime that opened them, and each `#[tokio::test]` has its own.
    pub fn aws_sdk_config(&self) -> SdkConfig {
        let credentials = Credentials::new("test", "test", None, None, "moto");
        SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .endpoint_url(&self.endpoint)
            .credentials_provider(SharedCredentialsProvider::new(credentials))
            .timeout_config(adapters::config::sdk_timeouts())
            .http_client(adapters::https::https_client())
            .build()
    }

    pub fn dynamodb(&self) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::new(&self.aws_sdk_config())
    }

    pub fn sqs(&self) -> aws_sdk_sqs::Client {
        aws_sdk_sqs::Client::new(&self.aws_sdk_config())
    }

    pub fn sns(&self) -> aws_sdk_sns::Client {
        aws_sdk_sns::Client::new(&self.aws_sdk_config())
    }

    pub fn ses(&self) -> aws_sdk_ses::Client {
        aws_sdk_ses::Client::new(&self.aws_sdk_config())
    }

    /// moto's whole state (`GET /moto-api/data.json`): sent mail is under `ses.Message`.
    pub async fn moto_state(&self) -> serde_json::Value {
        let url = format!("{}/moto-api/data.json", self.endpoint);
        // moto serializes its whole state for this without a lock: a write
        // landing meanwhile (another test's) fails it with a 500. Look again.
        let mut failure = String::new();
        for attempt in 0..5 {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(200 * attempt)).await;
            }
            let response = match reqwest::get(&url).await {
                Ok(response) => response,
                Err(e) => {
                    failure = format!("GET {url}: {e}");
                    continue;
                }
            };
            let status = response.status();
            match response.json().await {
                Ok(state) if status.is_success() => return state,
                Ok(_) => failure = format!("GET {url}: {status}"),
                Err(e) => failure = format!("GET {url}: {status}, not JSON: {e}"),
            }
        }
        panic!("{failure}")
    }

    /// Deletes every resource on this moto (`POST /moto-api/reset`).
    ///
    /// Not for tests that run in parallel: it wipes their stacks too. Tests
    /// isolate themselves with a [`crate::Stack`] each instead.
    pub async fn reset(&self) {
        let url = format!("{}/moto-api/reset", self.endpoint);
        reqwest::Client::new()
            .post(&url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .unwrap_or_else(|e| panic!("POST {url}: {e}"));
    }

    fn start() -> LocalAws {
        if let Ok(endpoint) = std::env::var("MOTO_ENDPOINT") {
            let endpoint = endpoint.trim_end_matches('/').to_owned();
            if !wait_until_answering(&endpoint, STARTUP, || true) {
                panic!(
                    "MOTO_ENDPOINT={endpoint} does not answer as moto (GET /moto-api/data.json)"
                );
            }
            return LocalAws {
                endpoint,
                _server: None,
            };
        }

        let python = crate::repo_root().join(".venv/bin/python");
        let installed = crate::repo_root().join(".venv/bin/moto_server");
        assert!(
            installed.exists(),
            "moto is not installed ({} is missing): run `make venv` (`make test` does it for you)",
            installed.display()
        );
        let logs = log_dir();
        // A free port can be taken between asking and binding: try a few.
        let mut failures = Vec::new();
        for _ in 0..3 {
            let port = free_port();
            let endpoint = format!("http://127.0.0.1:{port}");
            let log = logs.join(format!("moto-{port}.log"));
            let mut server = spawn_moto(&python, port, &log);
            if wait_until_answering(&endpoint, STARTUP, || matches!(server.try_wait(), Ok(None))) {
                return LocalAws {
                    endpoint,
                    _server: Some(server),
                };
            }
            stop(&server);
            failures.push(format!(
                "port {port}: see {}\n{}",
                log.display(),
                tail(&log)
            ));
        }
        panic!(
            "moto did not start within {STARTUP:?}:\n{}",
            failures.join("\n")
        );
    }
}

impl Drop for LocalAws {
    fn drop(&mut self) {
        if let Some(server) = &self._server {
            stop(server);
        }
    }
}

fn spawn_moto(python: &Path, port: u16, log: &Path) -> Child {
    let file = std::fs::File::create(log)
        .unwrap_or_else(|e| panic!("cannot create moto's log {}: {e}", log.display()));
    let err = file
        .try_clone()
        .unwrap_or_else(|e| panic!("cannot share moto's log {}: {e}", log.display()));
    Command::new("sh")
        .arg("-c")
        .arg(WATCHDOG)
        .arg("moto-watchdog")
        .arg(std::process::id().to_string())
        .arg(python)
        .arg(crate::repo_root().join("scripts/moto_server.py"))
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdin(Stdio::null())
        .stdout(file)
        .stderr(err)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start moto with {}: {e}", python.display()))
}

/// Asks the watchdog to stop moto (its trap does; a SIGKILL would orphan moto).
fn stop(server: &Child) {
    let _ = Command::new("kill").arg(server.id().to_string()).status();
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free local port: {e}"))
}

/// Polls until moto answers, the deadline passes, or `alive` says it died.
fn wait_until_answering(endpoint: &str, within: Duration, mut alive: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if answers_as_moto(endpoint) {
            return true;
        }
        if !alive() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

/// A plain HTTP/1.0 probe: no async runtime is needed to start the server.
fn answers_as_moto(endpoint: &str) -> bool {
    let host = endpoint.trim_start_matches("http://");
    let Some(addr) = host.to_socket_addrs().ok().and_then(|mut a| a.next()) else {
        return false;
    };
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(500)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request = format!("GET /moto-api/data.json HTTP/1.0\r\nHost: {host}\r\n\r\n");
    let mut status = [0u8; 12];
    stream.write_all(request.as_bytes()).is_ok()
        && stream.read_exact(&mut status).is_ok()
        && status.starts_with(b"HTTP/1.")
        && status.ends_with(b"200")
}

/// `target/debug/moto/`: next to the test binaries, ignored by git.
fn log_dir() -> PathBuf {
    let dir = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.join("moto")))
        .unwrap_or_else(std::env::temp_dir);
    let _ = std::fs::create_dir_all(&dir);
    dir
}

fn tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}
