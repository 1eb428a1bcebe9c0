//! A stand-in for the Lambda Runtime API, so that a function binary runs in
//! Lambda mode on this machine exactly as it would in Lambda: it long-polls
//! `GET /2018-06-01/runtime/invocation/next` for an event and posts the
//! result to `…/invocation/{requestId}/response` (or `…/error`, or
//! `…/runtime/init/error` if it cannot start).
//!
//! A test queues events with [`RuntimeApi::invoke`] and reads what the
//! function answered with [`RuntimeApi::answer`]. The server lives on the
//! test's runtime; once it is gone a function polling it sees its connection
//! fail and exits, so a function started against it cannot outlive the test.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use tokio::sync::{mpsc, watch, Notify};

/// The API version every path starts with.
const PREFIX: &str = "/2018-06-01/runtime";
/// What `Lambda-Runtime-Deadline-Ms` grants each invocation.
const INVOCATION_TIMEOUT: Duration = Duration::from_secs(60);
/// An X-Ray trace header as Lambda sends it (the runtime exports it as `_X_AMZN_TRACE_ID`).
const TRACE_ID: &str = "Root=1-66500000-000000000000000000000001;Parent=0000000000000001;Sampled=1";

/// What a function posted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The invocation's request id, or `init` for an initialisation error.
    pub request_id: String,
    pub kind: AnswerKind,
    /// The posted body: the handler's result, or the error's JSON.
    pub body: String,
    /// `Lambda-Runtime-Function-Error-Type`, for errors.
    pub error_type: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerKind {
    Response,
    Error,
    InitError,
}

impl Answer {
    /// The response body as JSON; panics (showing it) if it is not.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("the function answered non-JSON ({e}): {}", self.body))
    }
}

/// A running stand-in; stops when dropped.
#[derive(Debug)]
pub struct RuntimeApi {
    /// `127.0.0.1:<port>`: the value of `AWS_LAMBDA_RUNTIME_API`.
    pub address: String,
    state: Arc<Shared>,
    answers: mpsc::UnboundedReceiver<Answer>,
    first_poll: watch::Receiver<Option<Instant>>,
    server: tokio::task::JoinHandle<()>,
}

#[derive(Debug)]
struct Shared {
    /// Invocations queued and not yet handed out: (request id, event).
    pending: Mutex<VecDeque<(String, String)>>,
    queued: Notify,
    answered: mpsc::UnboundedSender<Answer>,
    first_poll: watch::Sender<Option<Instant>>,
    function_arn: String,
}

impl RuntimeApi {
    /// Listens on a free port of 127.0.0.1.
    pub async fn start() -> RuntimeApi {
        RuntimeApi::start_for("arn:aws:lambda:us-east-1:123456789012:function:under-test").await
    }

    /// As [`RuntimeApi::start`], announcing `function_arn` with each event.
    pub async fn start_for(function_arn: &str) -> RuntimeApi {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("no local port for the Runtime API: {e}"));
        let address = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("the Runtime API's address: {e}"))
            .to_string();
        let (answered, answers) = mpsc::unbounded_channel();
        let (first_poll_tx, first_poll) = watch::channel(None);
        let state = Arc::new(Shared {
            pending: Mutex::new(VecDeque::new()),
            queued: Notify::new(),
            answered,
            first_poll: first_poll_tx,
            function_arn: function_arn.to_owned(),
        });
        let app = Router::new()
            .route(&format!("{PREFIX}/invocation/next"), get(next))
            .route(
                &format!("{PREFIX}/invocation/{{request_id}}/response"),
                post(response),
            )
            .route(
                &format!("{PREFIX}/invocation/{{request_id}}/error"),
                post(invocation_error),
            )
            .route(&format!("{PREFIX}/init/error"), post(init_error))
            .with_state(state.clone());
        let server = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                panic!("the Runtime API stand-in stopped: {e}");
            }
        });
        RuntimeApi {
            address,
            state,
            answers,
            first_poll,
            server,
        }
    }

    /// The variables Lambda gives a function's process, pointing it at this
    /// stand-in: `FleetProcess::start(…, &runtime.lambda_env(…))` runs a
    /// binary in Lambda mode.
    pub fn lambda_env(&self, function_name: &str, memory_mb: u32) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_LAMBDA_RUNTIME_API", self.address.clone()),
            ("AWS_LAMBDA_FUNCTION_NAME", function_name.to_owned()),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", memory_mb.to_string()),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
        ]
    }

    /// Queues an invocation of the function with `event` as its payload.
    pub fn invoke(&self, request_id: &str, event: &serde_json::Value) {
        lock(&self.state.pending).push_back((request_id.to_owned(), event.to_string()));
        self.state.queued.notify_one();
    }

    /// The next thing the function posts; `None` if the server stopped.
    pub async fn answer(&mut self) -> Option<Answer> {
        self.answers.recv().await
    }

    /// Invokes and waits (at most `within`) for the answer to this invocation.
    ///
    /// Panics, with `context` (say, the function's log), if none comes or the
    /// function answers another request first.
    pub async fn call(
        &mut self,
        request_id: &str,
        event: &serde_json::Value,
        within: Duration,
        context: impl Fn() -> String,
    ) -> Answer {
        self.invoke(request_id, event);
        let answer = tokio::time::timeout(within, self.answer())
            .await
            .unwrap_or_else(|_| {
                panic!("no answer to {request_id} within {within:?}\n{}", context())
            })
            .unwrap_or_else(|| panic!("the Runtime API stand-in stopped\n{}", context()));
        assert_eq!(
            answer.request_id,
            request_id,
            "an answer to another invocation: {answer:?}\n{}",
            context()
        );
        answer
    }

    /// When the function first asked for an event, waiting at most `within`.
    pub async fn first_poll(&self, within: Duration) -> Option<Instant> {
        let mut first_poll = self.first_poll.clone();
        let seen = tokio::time::timeout(within, first_poll.wait_for(Option::is_some)).await;
        match seen {
            Ok(Ok(at)) => *at,
            _ => None,
        }
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// The lock, even if a panicking test poisoned it.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Held open until an invocation is queued, as Lambda does between events.
async fn next(State(state): State<Arc<Shared>>) -> Response {
    state.first_poll.send_if_modified(|first| {
        if first.is_some() {
            return false;
        }
        *first = Some(Instant::now());
        true
    });
    let (request_id, event) = loop {
        // Registered before looking, so a notification in between is not lost.
        let queued = state.queued.notified();
        if let Some(invocation) = lock(&state.pending).pop_front() {
            break invocation;
        }
        queued.await;
    };
    let deadline = SystemTime::now()
        .checked_add(INVOCATION_TIMEOUT)
        .and_then(|at| at.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |since| since.as_millis());
    let mut headers = HeaderMap::new();
    let mut set = |name: &'static str, value: String| {
        let value = HeaderValue::from_str(&value)
            .unwrap_or_else(|e| panic!("header {name}: {value:?} is not a header value: {e}"));
        headers.insert(name, value);
    };
    set("content-type", "application/json".to_owned());
    set("lambda-runtime-aws-request-id", request_id.clone());
    set("lambda-runtime-deadline-ms", deadline.to_string());
    set(
        "lambda-runtime-invoked-function-arn",
        state.function_arn.clone(),
    );
    set("lambda-runtime-trace-id", TRACE_ID.to_owned());
    (StatusCode::OK, headers, event).into_response()
}

fn record(
    state: &Shared,
    request_id: String,
    kind: AnswerKind,
    headers: &HeaderMap,
    body: String,
) -> StatusCode {
    let error_type = headers
        .get("lambda-runtime-function-error-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let _ = state.answered.send(Answer {
        request_id,
        kind,
        body,
        error_type,
    });
    StatusCode::ACCEPTED
}

async fn response(
    State(state): State<Arc<Shared>>,
    Path(request_id): Path<String>,
    headers: HeaderMap,
    body: String,
) -> StatusCode {
    record(&state, request_id, AnswerKind::Response, &headers, body)
}

async fn invocation_error(
    State(state): State<Arc<Shared>>,
    Path(request_id): Path<String>,
    headers: HeaderMap,
    body: String,
) -> StatusCode {
    record(&state, request_id, AnswerKind::Error, &headers, body)
}

async fn init_error(
    State(state): State<Arc<Shared>>,
    headers: HeaderMap,
    body: String,
) -> StatusCode {
    record(
        &state,
        "init".to_owned(),
        AnswerKind::InitError,
        &headers,
        body,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Runtime API as a function's runtime client speaks it.
    async fn poll(client: &reqwest::Client, api: &RuntimeApi) -> reqwest::Response {
        client
            .get(format!("http://{}{PREFIX}/invocation/next", api.address))
            .send()
            .await
            .expect("GET next")
    }

    #[tokio::test]
    async fn hands_out_queued_events_in_order_and_collects_the_answers() {
        let mut api = RuntimeApi::start().await;
        let client = reqwest::Client::new();
        api.invoke("r-1", &serde_json::json!({"n": 1}));
        api.invoke("r-2", &serde_json::json!({"n": 2}));

        let first = poll(&client, &api).await;
        assert_eq!(first.headers()["lambda-runtime-aws-request-id"], "r-1");
        assert!(first.headers().contains_key("lambda-runtime-deadline-ms"));
        assert_eq!(first.text().await.expect("body"), r#"{"n":1}"#);
        assert!(api.first_poll(Duration::ZERO).await.is_some());

        let posted = client
            .post(format!(
                "http://{}{PREFIX}/invocation/r-1/response",
                api.address
            ))
            .body(r#"{"ok":true}"#)
            .send()
            .await
            .expect("POST response");
        assert_eq!(posted.status(), 202);
        let answer = api.answer().await.expect("an answer");
        assert_eq!(
            (answer.request_id.as_str(), answer.kind, answer.json()),
            ("r-1", AnswerKind::Response, serde_json::json!({"ok": true}))
        );

        let second = poll(&client, &api).await;
        assert_eq!(second.headers()["lambda-runtime-aws-request-id"], "r-2");
        client
            .post(format!(
                "http://{}{PREFIX}/invocation/r-2/error",
                api.address
            ))
            .header("lambda-runtime-function-error-type", "Runtime.Panic")
            .body(r#"{"errorType":"Runtime.Panic","errorMessage":"boom"}"#)
            .send()
            .await
            .expect("POST error");
        let answer = api.answer().await.expect("an answer");
        assert_eq!(answer.kind, AnswerKind::Error);
        assert_eq!(answer.error_type.as_deref(), Some("Runtime.Panic"));
    }

    #[tokio::test]
    async fn holds_a_poll_open_until_an_event_is_queued() {
        let api = RuntimeApi::start().await;
        let client = reqwest::Client::new();
        let url = format!("http://{}{PREFIX}/invocation/next", api.address);
        let waiting = tokio::spawn(async move { client.get(url).send().await });
        assert!(api.first_poll(Duration::from_secs(10)).await.is_some());
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!waiting.is_finished(), "answered with nothing queued");
        api.invoke("late", &serde_json::json!({}));
        let response = waiting.await.expect("joined").expect("GET next");
        assert_eq!(response.headers()["lambda-runtime-aws-request-id"], "late");
    }

    #[tokio::test]
    async fn records_an_initialisation_error() {
        let mut api = RuntimeApi::start().await;
        reqwest::Client::new()
            .post(format!("http://{}{PREFIX}/init/error", api.address))
            .header("lambda-runtime-function-error-type", "Runtime.ConfigError")
            .body(r#"{"errorMessage":"no table"}"#)
            .send()
            .await
            .expect("POST init error");
        let answer = api.answer().await.expect("an answer");
        assert_eq!(answer.kind, AnswerKind::InitError);
        assert_eq!(answer.request_id, "init");
        assert_eq!(answer.error_type.as_deref(), Some("Runtime.ConfigError"));
    }
}
