//! A seeded fault proxy between the fleet's binaries and moto.
//!
//! The binaries get `AWS_ENDPOINT_URL=<proxy>`; the proxy forwards each AWS
//! call to moto, except that a share of them (by default 10%) fails, half of
//! them in each of the two ways a network fails a caller:
//!
//! - **failed before**: answered `503 ServiceUnavailable` without reaching
//!   moto, in the error format of the call's protocol. The SDK retries it (a
//!   503 is transient), as it would an overloaded AWS endpoint.
//! - **dropped after**: forwarded and executed by moto, then the connection
//!   is closed without a reply. The caller cannot know the call took effect;
//!   the SDK retries it (hyper's incomplete message is transient), so the
//!   effect may happen twice — the case the fleet's idempotency is for.
//!
//! Each request is named by its operation (`DynamoDB.PutItem`, `SES.SendEmail`)
//! and counted by what became of it. The decisions come from one RNG seeded by
//! the caller, drawn in order of arrival: a seed replays the same sequence of
//! decisions, though with concurrent callers which request draws which
//! decision depends on timing. The harness's own clients keep talking to moto
//! directly, so probes and provisioning never see a fault.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderMap, HeaderValue, CONTENT_TYPE};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde::Serialize;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// How often and how reproducibly calls fail.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaultSettings {
    pub seed: u64,
    /// The share of requests that fail, from 0.0 to 1.0; half fail before
    /// reaching moto, half after.
    pub failure_rate: f64,
}

impl Default for FaultSettings {
    fn default() -> Self {
        FaultSettings {
            seed: 8,
            failure_rate: 0.1,
        }
    }
}

/// What became of the requests of one operation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct OperationCounts {
    /// Executed by moto, and its reply passed on.
    pub forwarded: u64,
    /// Answered 503 by the proxy; moto never saw it.
    pub failed_before: u64,
    /// Executed by moto; the reply was dropped with the connection.
    pub dropped_after: u64,
    /// moto could not be reached (answered 502): not a fault the proxy chose.
    pub upstream_errors: u64,
}

impl OperationCounts {
    pub fn total(&self) -> u64 {
        self.forwarded + self.failed_before + self.dropped_after + self.upstream_errors
    }

    fn add(&mut self, other: &OperationCounts) {
        self.forwarded += other.forwarded;
        self.failed_before += other.failed_before;
        self.dropped_after += other.dropped_after;
        self.upstream_errors += other.upstream_errors;
    }
}

/// A running proxy on `127.0.0.1`; stops when dropped.
#[derive(Debug)]
pub struct FaultProxy {
    endpoint: String,
    state: Arc<State>,
    accept: JoinHandle<()>,
}

#[derive(Debug)]
struct State {
    upstream: String,
    client: reqwest::Client,
    failure_rate: f64,
    rng: Mutex<fastrand::Rng>,
    counts: Mutex<BTreeMap<String, OperationCounts>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    Forward,
    FailBefore,
    DropAfter,
}

/// The service's error for a reply the proxy drops: hyper then closes the
/// connection without writing a response.
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("reply dropped by the fault proxy")
    }
}

impl std::error::Error for Dropped {}

impl FaultProxy {
    /// Listens on a free `127.0.0.1` port and forwards to `upstream` (moto).
    pub async fn start(upstream: &str, settings: FaultSettings) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("the fault proxy cannot listen on 127.0.0.1: {e}"));
        let address = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("the fault proxy's address: {e}"));
        let state = Arc::new(State {
            upstream: upstream.trim_end_matches('/').to_owned(),
            // No timeout of its own: SQS long polls hold a call for 20 s, and
            // the callers' SDKs bound every call already.
            client: reqwest::Client::new(),
            failure_rate: settings.failure_rate.clamp(0.0, 1.0),
            rng: Mutex::new(fastrand::Rng::with_seed(settings.seed)),
            counts: Mutex::new(BTreeMap::new()),
        });
        let accept = tokio::spawn(accept_loop(listener, Arc::clone(&state)));
        FaultProxy {
            endpoint: format!("http://{address}"),
            state,
            accept,
        }
    }

    /// `http://127.0.0.1:<port>`: the binaries' `AWS_ENDPOINT_URL`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The counts so far, by operation (`SQS.ReceiveMessage`, …).
    pub fn counts(&self) -> BTreeMap<String, OperationCounts> {
        self.state.counts().clone()
    }

    /// The counts so far, over every operation.
    pub fn totals(&self) -> OperationCounts {
        let mut totals = OperationCounts::default();
        for counts in self.state.counts().values() {
            totals.add(counts);
        }
        totals
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl State {
    fn counts(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, OperationCounts>> {
        // A panicking test thread must not hide the counts from the report.
        self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn count(&self, operation: &str, tally: impl FnOnce(&mut OperationCounts)) {
        tally(self.counts().entry(operation.to_owned()).or_default());
    }

    fn decide(&self) -> Fate {
        let mut rng = self.rng.lock().unwrap_or_else(PoisonError::into_inner);
        // Both draws every time, so each request moves the sequence alike.
        let fails = rng.f64() < self.failure_rate;
        let before = rng.bool();
        match (fails, before) {
            (false, _) => Fate::Forward,
            (true, true) => Fate::FailBefore,
            (true, false) => Fate::DropAfter,
        }
    }
}

async fn accept_loop(listener: TcpListener, state: Arc<State>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let state = Arc::clone(&state);
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let state = Arc::clone(&state);
                async move { handle(&state, request).await }
            });
            // An error here is a dropped reply or a caller that went away.
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn handle(
    state: &State,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Dropped> {
    let (parts, body) = request.into_parts();
    let Ok(body) = body.collect().await.map(|b| b.to_bytes()) else {
        // The caller went away mid-request: nothing to answer.
        return Err(Dropped);
    };
    let operation = operation(&parts.headers, parts.uri.query(), &body);
    let fate = state.decide();
    if fate == Fate::FailBefore {
        state.count(&operation, |c| c.failed_before += 1);
        return Ok(unavailable(&parts.headers));
    }

    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let mut headers = parts.headers.clone();
    // reqwest sets these for moto's address and the body it sends.
    for name in ["host", "connection", "content-length", "transfer-encoding"] {
        headers.remove(name);
    }
    let forwarded = state
        .client
        .request(parts.method.clone(), format!("{}{path}", state.upstream))
        .headers(headers)
        .body(body)
        .send()
        .await;
    let reply = match forwarded {
        Ok(reply) => reply,
        Err(error) => {
            state.count(&operation, |c| c.upstream_errors += 1);
            return Ok(plain(StatusCode::BAD_GATEWAY, format!("moto: {error}")));
        }
    };
    let status = reply.status();
    let mut headers = reply.headers().clone();
    let Ok(bytes) = reply.bytes().await else {
        state.count(&operation, |c| c.upstream_errors += 1);
        return Ok(plain(
            StatusCode::BAD_GATEWAY,
            "moto's reply broke off".to_owned(),
        ));
    };
    if fate == Fate::DropAfter {
        state.count(&operation, |c| c.dropped_after += 1);
        return Err(Dropped);
    }
    state.count(&operation, |c| c.forwarded += 1);
    // hyper frames the body it is given; moto's framing no longer applies.
    for name in ["connection", "content-length", "transfer-encoding"] {
        headers.remove(name);
    }
    let mut response = Response::new(Full::new(bytes));
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    Ok(response)
}

/// `DynamoDB.PutItem`, `SQS.ReceiveMessage`, `SNS.Publish`, `SES.SendEmail`:
/// the service from the signature's credential scope, the operation from
/// `X-Amz-Target` (JSON protocols) or the `Action` parameter (query protocols).
pub fn operation(headers: &HeaderMap, query: Option<&str>, body: &[u8]) -> String {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let service = header("authorization")
        .and_then(|auth| auth.split("Credential=").nth(1))
        .and_then(|credential| credential.split('/').nth(3))
        .map_or("Unknown".to_owned(), |scope| match scope {
            "dynamodb" => "DynamoDB".to_owned(),
            "sqs" => "SQS".to_owned(),
            "sns" => "SNS".to_owned(),
            "ses" | "email" => "SES".to_owned(),
            other => other.to_owned(),
        });
    let action = header("x-amz-target")
        .and_then(|target| target.rsplit('.').next())
        .map(str::to_owned)
        .or_else(|| form_action(query.unwrap_or_default().as_bytes()))
        .or_else(|| form_action(body))
        .unwrap_or_else(|| "Unknown".to_owned());
    format!("{service}.{action}")
}

fn form_action(form: &[u8]) -> Option<String> {
    let form = std::str::from_utf8(form).ok()?;
    form.split('&')
        .find_map(|pair| pair.strip_prefix("Action="))
        .map(str::to_owned)
}

/// A 503 in the error format of the call's protocol, so the SDK reads it as
/// AWS's own `ServiceUnavailable` (retryable by its status and its code).
fn unavailable(request: &HeaderMap) -> Response<Full<Bytes>> {
    let (content_type, body) = if request.contains_key("x-amz-target") {
        (
            "application/x-amz-json-1.0",
            r#"{"__type":"ServiceUnavailable","message":"injected by the fault proxy"}"#,
        )
    } else {
        (
            "text/xml",
            "<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceUnavailable</Code>\
             <Message>injected by the fault proxy</Message></Error>\
             <RequestId>fault-proxy</RequestId></ErrorResponse>",
        )
    };
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn plain(status: StatusCode, text: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(text)));
    *response.status_mut() = status;
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed(service: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential=test/20240501/us-east-1/{service}/aws4_request, \
             SignedHeaders=host, Signature=0"
        );
        headers.insert(
            "authorization",
            HeaderValue::from_str(&auth).unwrap_or_else(|e| panic!("{e}")),
        );
        headers
    }

    #[test]
    fn names_a_json_protocol_call_by_its_target() {
        let mut headers = signed("dynamodb");
        headers.insert(
            "x-amz-target",
            HeaderValue::from_static("DynamoDB_20120810.PutItem"),
        );
        assert_eq!(operation(&headers, None, b"{}"), "DynamoDB.PutItem");
    }

    #[test]
    fn names_a_query_protocol_call_by_its_action() {
        let body = b"Action=SendEmail&Version=2010-12-01&Source=a%40example.com";
        assert_eq!(operation(&signed("ses"), None, body), "SES.SendEmail");
        assert_eq!(
            operation(&signed("sns"), Some("Action=Publish"), b""),
            "SNS.Publish"
        );
    }

    #[test]
    fn the_same_seed_makes_the_same_decisions_at_the_configured_rate() {
        let state = |seed| State {
            upstream: String::new(),
            client: reqwest::Client::new(),
            failure_rate: 0.1,
            rng: Mutex::new(fastrand::Rng::with_seed(seed)),
            counts: Mutex::new(BTreeMap::new()),
        };
        let (a, b) = (state(7), state(7));
        let first: Vec<Fate> = (0..10_000).map(|_| a.decide()).collect();
        let again: Vec<Fate> = (0..10_000).map(|_| b.decide()).collect();
        assert_eq!(first, again);
        let share = |fate| first.iter().filter(|f| **f == fate).count();
        assert!(
            (400..600).contains(&share(Fate::FailBefore)),
            "{}",
            share(Fate::FailBefore)
        );
        assert!(
            (400..600).contains(&share(Fate::DropAfter)),
            "{}",
            share(Fate::DropAfter)
        );
    }
}
