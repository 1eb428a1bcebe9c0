//! A fault proxy between the fleet's binaries and moto.
//!
//! The binaries get `AWS_ENDPOINT_URL=<proxy>`; the proxy forwards each AWS
//! call to moto, failing some of them the ways production fails a caller.
//! Each request is named by its operation (`DynamoDB.PutItem`, `SNS.Publish`,
//! `SES.SendEmail`), counted by what became of it ([`OperationCounts`]), and
//! the time moto took over it added up ([`FaultProxy::upstream_times`]).
//! The harness's own clients keep talking to moto directly, so probes and
//! provisioning never see a fault.
//!
//! # Seeded random failures
//!
//! A share of calls (by default 10%) fails, half of them in each of the two
//! ways a network fails a caller:
//!
//! - **failed before**: answered `503 ServiceUnavailable` without reaching
//!   moto, in the error format of the call's protocol. The SDK retries it (a
//!   503 is transient), as it would an overloaded AWS endpoint.
//! - **dropped after**: forwarded and executed by moto, then the connection
//!   is closed without a reply. The caller cannot know the call took effect;
//!   the SDK retries it (hyper's incomplete message is transient), so the
//!   effect may happen twice — the case the fleet's idempotency is for.
//!
//! The decisions come from one RNG seeded by the caller, drawn in order of
//! arrival: a seed replays the same sequence of decisions, though with
//! concurrent callers which request draws which decision depends on timing.
//!
//! # Faults a scenario turns on and off
//!
//! Set per operation while the proxy runs, through `&self` methods, so a
//! scenario can start an outage and end it:
//!
//! - **hang** ([`FaultProxy::hang`]): the next calls of an operation whose
//!   body holds a marker are neither forwarded nor answered; the connection is
//!   held until the caller gives up and closes it (at most 10 minutes). A
//!   stalled connection: only the caller's own timeout ends the call, and it
//!   cannot know whether the call took effect.
//! - **outage** ([`FaultProxy::outage`]): every call whose operation starts
//!   with a prefix (`"SNS."`) is answered `503 ServiceUnavailable` without
//!   reaching moto. A service down for longer than the SDK's retries last.
//! - **throttle** ([`FaultProxy::throttle`]): a token bucket per operation; a
//!   call that finds no token is answered `400` as AWS answers a caller over
//!   its rate — SES's `Throttling` ("Maximum sending rate exceeded.") for the
//!   query protocols, DynamoDB's `ThrottlingException` for the JSON ones.
//! - **delay** ([`FaultProxy::delay`]): every call of an operation waits before
//!   it is forwarded. A slow service, for the callers' deadlines.
//!
//! # Order of checks
//!
//! A request meets them in this order: hang, outage, throttle, then the
//! seeded draw, then the delay before it is forwarded. A request taken by
//! hang, outage or throttle is not drawn for: it never travels to moto, so the
//! network's random failure has no way to meet it, and turning such a fault
//! on for one operation leaves the draws of the calls that still reach the
//! draw as a seed made them. (Every request draws when no fault is set, so
//! existing seeds replay as before.) A call the draw fails before forwarding
//! is answered at once, without its delay.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderMap, HeaderValue, CONTENT_TYPE};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde::Serialize;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// How long a hung call is held at most if its caller never gives up.
const HANG_LIMIT: Duration = Duration::from_secs(10 * 60);

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
    /// Sent to moto, but its caller gave up before the reply (an attempt's
    /// timeout): like `dropped_after`, executed or not, its reply went nowhere.
    pub abandoned: u64,
    /// moto could not be reached (answered 502): not a fault the proxy chose.
    pub upstream_errors: u64,
    /// Answered 400 throttling by the proxy; moto never saw it.
    pub throttled: u64,
    /// Answered 503 during an outage; moto never saw it.
    pub outage: u64,
    /// Held without an answer until the caller gave up; moto never saw it.
    pub hung: u64,
    /// Held for a delay, then forwarded: each is also counted by what became
    /// of it after (`forwarded`, `dropped_after`, `upstream_errors`), so
    /// [`total`](Self::total) leaves it out.
    pub delayed: u64,
}

impl OperationCounts {
    /// The requests, each once: every counter but `delayed`, which counts
    /// requests already counted by their outcome.
    pub fn total(&self) -> u64 {
        self.forwarded
            + self.failed_before
            + self.dropped_after
            + self.abandoned
            + self.upstream_errors
            + self.throttled
            + self.outage
            + self.hung
    }

    fn add(&mut self, other: &OperationCounts) {
        self.forwarded += other.forwarded;
        self.failed_before += other.failed_before;
        self.dropped_after += other.dropped_after;
        self.abandoned += other.abandoned;
        self.upstream_errors += other.upstream_errors;
        self.throttled += other.throttled;
        self.outage += other.outage;
        self.hung += other.hung;
        self.delayed += other.delayed;
    }
}

/// A running proxy on `127.0.0.1`; stops accepting when dropped.
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
    faults: Mutex<Faults>,
    counts: Mutex<BTreeMap<String, OperationCounts>>,
    /// How long moto took over the calls it answered, by operation.
    moto_time: Mutex<BTreeMap<String, Duration>>,
}

/// The faults a scenario has set, by operation.
#[derive(Debug, Default)]
struct Faults {
    hangs: Vec<Hang>,
    /// Operation prefixes (`"SNS."`) whose calls are answered 503.
    outages: BTreeSet<String>,
    throttles: BTreeMap<String, TokenBucket>,
    delays: BTreeMap<String, Duration>,
}

/// The next `remaining` calls of `operation` whose body holds `body_contains`.
#[derive(Debug)]
struct Hang {
    operation: String,
    body_contains: String,
    remaining: u32,
}

/// Holds up to `burst` tokens, refilled at `per_second`; a call takes one.
#[derive(Debug)]
struct TokenBucket {
    per_second: f64,
    burst: f64,
    tokens: f64,
    refilled_at: Instant,
}

/// What the proxy does with a request, decided when it arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Hang,
    Outage,
    Throttle,
    /// Reached the seeded draw, which chose this.
    Drawn(Fate),
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
        let state = Arc::new(State::new(upstream, settings));
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

    /// How long moto took, by operation, over the calls forwarded to it
    /// (from sending the request to the end of its reply): where a caller's
    /// time went.
    pub fn upstream_times(&self) -> BTreeMap<String, Duration> {
        self.state
            .moto_time
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The counts so far, over every operation.
    pub fn totals(&self) -> OperationCounts {
        let mut totals = OperationCounts::default();
        for counts in self.state.counts().values() {
            totals.add(counts);
        }
        totals
    }

    /// Throttles `operation` (`"SES.SendEmail"`) with a token bucket that
    /// starts full, holds `burst` tokens (at least one) and refills at
    /// `per_second`; a call that finds it empty is answered 400 throttling.
    /// Replaces the operation's bucket; `per_second <= 0` removes it.
    pub fn throttle(&self, operation: &str, per_second: f64, burst: u32) {
        let mut faults = self.state.faults();
        if per_second > 0.0 {
            let bucket = TokenBucket::full(per_second, burst, Instant::now());
            faults.throttles.insert(operation.to_owned(), bucket);
        } else {
            faults.throttles.remove(operation);
        }
    }

    /// Stops throttling `operation`.
    pub fn clear_throttle(&self, operation: &str) {
        self.state.faults().throttles.remove(operation);
    }

    /// Holds every call of `operation` for `by` before forwarding it;
    /// `Duration::ZERO` removes the delay.
    pub fn delay(&self, operation: &str, by: Duration) {
        let mut faults = self.state.faults();
        if by.is_zero() {
            faults.delays.remove(operation);
        } else {
            faults.delays.insert(operation.to_owned(), by);
        }
    }

    /// Starts (`on`) or ends an outage of every operation that starts with
    /// `operation_prefix` (`"SNS."` for the whole service).
    pub fn outage(&self, operation_prefix: &str, on: bool) {
        let mut faults = self.state.faults();
        if on {
            faults.outages.insert(operation_prefix.to_owned());
        } else {
            faults.outages.remove(operation_prefix);
        }
    }

    /// Hangs the next `count` calls of `operation` whose request body contains
    /// `body_contains` (as sent: a query-protocol body is form-encoded; `""`
    /// matches every call): never forwarded, never answered, held until the
    /// caller closes the connection. Replaces the count for the same operation
    /// and marker; `count == 0` removes it.
    pub fn hang(&self, operation: &str, body_contains: &str, count: u32) {
        let mut faults = self.state.faults();
        let same = |h: &Hang| h.operation == operation && h.body_contains == body_contains;
        faults.hangs.retain(|h| !same(h));
        if count > 0 {
            faults.hangs.push(Hang {
                operation: operation.to_owned(),
                body_contains: body_contains.to_owned(),
                remaining: count,
            });
        }
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl State {
    fn new(upstream: &str, settings: FaultSettings) -> State {
        State {
            upstream: upstream.trim_end_matches('/').to_owned(),
            // No timeout of its own: SQS long polls hold a call for 20 s, and
            // the callers' SDKs bound every call already.
            client: reqwest::Client::new(),
            failure_rate: settings.failure_rate.clamp(0.0, 1.0),
            rng: Mutex::new(fastrand::Rng::with_seed(settings.seed)),
            faults: Mutex::new(Faults::default()),
            counts: Mutex::new(BTreeMap::new()),
            moto_time: Mutex::new(BTreeMap::new()),
        }
    }

    fn counts(&self) -> MutexGuard<'_, BTreeMap<String, OperationCounts>> {
        // A panicking test thread must not hide the counts from the report.
        self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn faults(&self) -> MutexGuard<'_, Faults> {
        self.faults.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn count(&self, operation: &str, tally: impl FnOnce(&mut OperationCounts)) {
        tally(self.counts().entry(operation.to_owned()).or_default());
    }

    /// The faults a scenario set, in order (hang, outage, throttle), then the
    /// seeded draw for a request none of them took.
    fn judge(&self, operation: &str, body: &[u8]) -> Verdict {
        let taken = {
            let mut faults = self.faults();
            if faults.take_hang(operation, body) {
                Some(Verdict::Hang)
            } else if faults
                .outages
                .iter()
                .any(|p| operation.starts_with(p.as_str()))
            {
                Some(Verdict::Outage)
            } else if faults
                .throttles
                .get_mut(operation)
                .is_some_and(|bucket| !bucket.take(Instant::now()))
            {
                Some(Verdict::Throttle)
            } else {
                None
            }
        };
        taken.unwrap_or_else(|| Verdict::Drawn(self.decide()))
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

    fn delay(&self, operation: &str) -> Duration {
        self.faults()
            .delays
            .get(operation)
            .copied()
            .unwrap_or_default()
    }
}

impl Faults {
    /// Whether this call is one to hang, using up one of its hang's count.
    fn take_hang(&mut self, operation: &str, body: &[u8]) -> bool {
        let Some(index) = self
            .hangs
            .iter()
            .position(|h| h.operation == operation && contains(body, h.body_contains.as_bytes()))
        else {
            return false;
        };
        self.hangs[index].remaining -= 1;
        if self.hangs[index].remaining == 0 {
            self.hangs.remove(index);
        }
        true
    }
}

impl TokenBucket {
    fn full(per_second: f64, burst: u32, now: Instant) -> TokenBucket {
        // A bucket that cannot hold one token would never grant a call.
        let burst = f64::from(burst.max(1));
        TokenBucket {
            per_second,
            burst,
            tokens: burst,
            refilled_at: now,
        }
    }

    /// Takes a token if the bucket, refilled up to `now`, holds one.
    fn take(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.refilled_at);
        self.tokens = (self.tokens + elapsed.as_secs_f64() * self.per_second).min(self.burst);
        self.refilled_at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
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
    let fate = match state.judge(&operation, &body) {
        Verdict::Hang => {
            state.count(&operation, |c| c.hung += 1);
            // hyper drops this future when the caller closes the connection
            // (it watches for EOF while a request is in flight); the limit
            // frees a connection whose caller never gives up.
            tokio::time::sleep(HANG_LIMIT).await;
            return Err(Dropped);
        }
        Verdict::Outage => {
            state.count(&operation, |c| c.outage += 1);
            return Ok(unavailable(&parts.headers));
        }
        Verdict::Throttle => {
            state.count(&operation, |c| c.throttled += 1);
            return Ok(throttled(&parts.headers));
        }
        Verdict::Drawn(fate) => fate,
    };
    if fate == Fate::FailBefore {
        state.count(&operation, |c| c.failed_before += 1);
        return Ok(unavailable(&parts.headers));
    }
    let delay = state.delay(&operation);
    if !delay.is_zero() {
        state.count(&operation, |c| c.delayed += 1);
        tokio::time::sleep(delay).await;
    }

    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let mut headers = parts.headers.clone();
    // reqwest sets these for moto's address and the body it sends.
    for name in ["host", "connection", "content-length", "transfer-encoding"] {
        headers.remove(name);
    }
    let sent = Instant::now();
    // hyper drops this future when the caller closes the connection.
    let mut waiting = Abandoned(Some((state, &operation)));
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
            waiting.0 = None;
            state.count(&operation, |c| c.upstream_errors += 1);
            return Ok(plain(StatusCode::BAD_GATEWAY, format!("moto: {error}")));
        }
    };
    let status = reply.status();
    let mut headers = reply.headers().clone();
    let bytes = reply.bytes().await;
    waiting.0 = None;
    let Ok(bytes) = bytes else {
        state.count(&operation, |c| c.upstream_errors += 1);
        return Ok(plain(
            StatusCode::BAD_GATEWAY,
            "moto's reply broke off".to_owned(),
        ));
    };
    *state
        .moto_time
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .entry(operation.clone())
        .or_default() += sent.elapsed();
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

/// Counts its call as abandoned if dropped while armed: while moto has it.
struct Abandoned<'a>(Option<(&'a State, &'a str)>);

impl Drop for Abandoned<'_> {
    fn drop(&mut self) {
        if let Some((state, operation)) = self.0.take() {
            state.count(operation, |c| c.abandoned += 1);
        }
    }
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
    aws_error(
        request,
        StatusCode::SERVICE_UNAVAILABLE,
        r#"{"__type":"ServiceUnavailable","message":"injected by the fault proxy"}"#,
        "<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceUnavailable</Code>\
         <Message>injected by the fault proxy</Message></Error>\
         <RequestId>fault-proxy</RequestId></ErrorResponse>",
    )
}

/// AWS's answer to a call over its rate, in the call's protocol: DynamoDB's
/// `ThrottlingException`, or SES's `Throttling` for the query protocols. The
/// SDK retries both (a throttling code) with its backoff.
fn throttled(request: &HeaderMap) -> Response<Full<Bytes>> {
    aws_error(
        request,
        StatusCode::BAD_REQUEST,
        r#"{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate of requests exceeds the allowed throughput."}"#,
        "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>\
         <Message>Maximum sending rate exceeded.</Message></Error>\
         <RequestId>fault-proxy</RequestId></ErrorResponse>",
    )
}

/// An error in the format of the call's protocol: `json` for a JSON protocol
/// (the call has `X-Amz-Target`), `xml` for the query protocols.
fn aws_error(
    request: &HeaderMap,
    status: StatusCode,
    json: &'static str,
    xml: &'static str,
) -> Response<Full<Bytes>> {
    let (content_type, body) = if request.contains_key("x-amz-target") {
        ("application/x-amz-json-1.0", json)
    } else {
        ("text/xml", xml)
    };
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
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
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    use super::*;

    fn signed(service: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            "authorization",
            HeaderValue::from_str(&authorization(service)).unwrap_or_else(|e| panic!("{e}")),
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
        let state = |seed| {
            let settings = FaultSettings {
                seed,
                failure_rate: 0.1,
            };
            State::new("", settings)
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

    #[test]
    fn a_call_taken_by_hang_outage_or_throttle_is_not_drawn_for() {
        let settings = FaultSettings {
            seed: 7,
            failure_rate: 0.5,
        };
        let (plain, faulty) = (State::new("", settings), State::new("", settings));
        faulty.faults().outages.insert("SNS.".to_owned());
        let mut bucket = TokenBucket::full(0.001, 1, Instant::now());
        assert!(bucket.take(Instant::now()), "its one token, spent undrawn");
        faulty
            .faults()
            .throttles
            .insert("SES.SendEmail".to_owned(), bucket);
        for _ in 0..100 {
            faulty.faults().hangs.push(Hang {
                operation: "DynamoDB.UpdateItem".to_owned(),
                body_contains: "CompletedAt".to_owned(),
                remaining: 1,
            });
            assert_eq!(
                faulty.judge("DynamoDB.UpdateItem", b"CompletedAt"),
                Verdict::Hang
            );
            assert_eq!(faulty.judge("SNS.Publish", b""), Verdict::Outage);
            assert_eq!(faulty.judge("SES.SendEmail", b""), Verdict::Throttle);
            assert_eq!(
                faulty.judge("DynamoDB.PutItem", b""),
                plain.judge("DynamoDB.PutItem", b""),
            );
        }
    }

    #[test]
    fn a_token_bucket_refills_at_its_rate_up_to_its_burst() {
        let start = Instant::now();
        let at = |ms| start + Duration::from_millis(ms);
        let mut bucket = TokenBucket::full(20.0, 2, start);
        assert!(bucket.take(at(0)) && bucket.take(at(0)));
        assert!(!bucket.take(at(0)), "the burst is spent");
        assert!(!bucket.take(at(30)), "0.6 of a token after 30 ms at 20/s");
        assert!(bucket.take(at(60)), "1.2 tokens after 60 ms");
        assert!(!bucket.take(at(60)));
        // A long wait fills the bucket to its burst, no further.
        assert!(bucket.take(at(5_000)) && bucket.take(at(5_000)));
        assert!(!bucket.take(at(5_000)));
    }

    #[tokio::test]
    async fn a_throttled_query_call_answers_ses_throttling_once_the_burst_is_spent() {
        let proxy = proxy().await;
        proxy.throttle("SES.SendEmail", 0.01, 2);

        for _ in 0..2 {
            assert_eq!(send(query(&proxy, "ses", "SendEmail")).await.status, 200);
        }
        let answer = send(query(&proxy, "ses", "SendEmail")).await;
        assert_eq!(answer.status, 400);
        assert_eq!(answer.content_type, "text/xml");
        assert!(
            answer.body.starts_with(
                "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>\
                 <Message>Maximum sending rate exceeded.</Message></Error><RequestId>"
            ),
            "{}",
            answer.body
        );
        let other = send(query(&proxy, "ses", "SendRawEmail")).await;
        assert_eq!(other.status, 200, "another operation passes");

        let ses = counts(&proxy, "SES.SendEmail");
        assert_eq!((ses.forwarded, ses.throttled), (2, 1));
    }

    #[tokio::test]
    async fn a_throttled_json_call_answers_a_dynamodb_throttling_exception() {
        let proxy = proxy().await;
        proxy.throttle("DynamoDB.PutItem", 0.01, 1);

        assert_eq!(send(dynamodb(&proxy, "PutItem", "{}")).await.status, 200);
        let answer = send(dynamodb(&proxy, "PutItem", "{}")).await;
        assert_eq!(answer.status, 400);
        assert_eq!(answer.content_type, "application/x-amz-json-1.0");
        assert_eq!(
            answer.body,
            r#"{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate of requests exceeds the allowed throughput."}"#
        );
        assert_eq!(send(dynamodb(&proxy, "GetItem", "{}")).await.status, 200);
    }

    #[tokio::test]
    async fn clearing_a_throttle_or_setting_no_rate_lets_every_call_through() {
        let proxy = proxy().await;
        proxy.throttle("SNS.Publish", 0.01, 1);
        proxy.throttle("SNS.PublishBatch", 0.01, 1);
        for action in ["Publish", "PublishBatch"] {
            let _ = send(query(&proxy, "sns", action)).await;
            assert_eq!(send(query(&proxy, "sns", action)).await.status, 400);
        }

        proxy.clear_throttle("SNS.Publish");
        proxy.throttle("SNS.PublishBatch", 0.0, 1);
        for action in ["Publish", "PublishBatch"] {
            for _ in 0..3 {
                assert_eq!(send(query(&proxy, "sns", action)).await.status, 200);
            }
        }
    }

    #[tokio::test]
    async fn a_delayed_call_waits_before_it_is_forwarded_until_the_delay_is_removed() {
        let proxy = proxy().await;
        proxy.delay("SNS.Publish", Duration::from_millis(200));

        let started = Instant::now();
        let answer = send(query(&proxy, "sns", "Publish")).await;
        assert!(started.elapsed() >= Duration::from_millis(200));
        assert_eq!((answer.status, answer.body.as_str()), (200, "ok"));
        let publish = counts(&proxy, "SNS.Publish");
        assert_eq!((publish.delayed, publish.forwarded), (1, 1));
        assert_eq!(publish.total(), 1, "a delayed call is one call");

        assert_eq!(send(query(&proxy, "sns", "PublishBatch")).await.status, 200);
        proxy.delay("SNS.Publish", Duration::ZERO);
        assert_eq!(send(query(&proxy, "sns", "Publish")).await.status, 200);
        assert_eq!(counts(&proxy, "SNS.Publish").delayed, 1);
        assert_eq!(counts(&proxy, "SNS.PublishBatch").delayed, 0);
    }

    #[tokio::test]
    async fn moto_s_time_is_added_up_for_the_calls_it_answered_only() {
        let proxy = proxy().await;
        proxy.outage("SES.", true);
        assert_eq!(send(query(&proxy, "sns", "Publish")).await.status, 200);
        assert_eq!(send(query(&proxy, "ses", "SendEmail")).await.status, 503);

        let times = proxy.upstream_times();
        assert!(times["SNS.Publish"] > Duration::ZERO, "{times:?}");
        assert!(!times.contains_key("SES.SendEmail"), "{times:?}");
    }

    #[tokio::test]
    async fn an_outage_answers_503_to_its_prefix_only_until_turned_off() {
        let proxy = proxy().await;
        proxy.outage("SNS.", true);

        for action in ["Publish", "PublishBatch"] {
            let answer = send(query(&proxy, "sns", action)).await;
            assert_eq!(answer.status, 503);
            assert!(answer.body.contains("<Code>ServiceUnavailable</Code>"));
        }
        assert_eq!(send(query(&proxy, "ses", "SendEmail")).await.status, 200);
        assert_eq!(send(dynamodb(&proxy, "PutItem", "{}")).await.status, 200);

        proxy.outage("SNS.", false);
        assert_eq!(send(query(&proxy, "sns", "Publish")).await.status, 200);
        let publish = counts(&proxy, "SNS.Publish");
        assert_eq!((publish.outage, publish.forwarded), (1, 1));
    }

    #[tokio::test]
    async fn a_hung_call_gets_no_answer_and_only_count_calls_with_the_marker_hang() {
        let proxy = proxy().await;
        proxy.hang("DynamoDB.UpdateItem", "CompletedAt", 2);
        let completion = r#"{"UpdateExpression":"SET CompletedAt = :now"}"#;
        let impatient =
            |request: reqwest::RequestBuilder| request.timeout(Duration::from_millis(300)).send();

        let claim = impatient(dynamodb(&proxy, "UpdateItem", "{}")).await;
        assert!(claim.is_ok(), "a call without the marker passes");
        let other = impatient(dynamodb(&proxy, "PutItem", completion)).await;
        assert!(other.is_ok(), "another operation passes");
        for _ in 0..2 {
            let hung = impatient(dynamodb(&proxy, "UpdateItem", completion)).await;
            assert!(
                hung.as_ref().is_err_and(reqwest::Error::is_timeout),
                "{hung:?}"
            );
        }
        let third = send(dynamodb(&proxy, "UpdateItem", completion)).await;
        assert_eq!(third.status, 200, "only two calls hang");

        let update = counts(&proxy, "DynamoDB.UpdateItem");
        assert_eq!((update.hung, update.forwarded), (2, 2));
    }

    #[tokio::test]
    async fn a_hung_connection_is_dropped_once_its_caller_closes_it() {
        let proxy = proxy().await;
        proxy.hang("DynamoDB.UpdateItem", "", 1);
        let address = proxy.endpoint().trim_start_matches("http://");
        let mut stream = TcpStream::connect(address).await.unwrap();
        let request = format!(
            "POST / HTTP/1.1\r\nhost: {address}\r\nauthorization: {}\r\n\
             x-amz-target: DynamoDB_20120810.UpdateItem\r\ncontent-length: 2\r\n\r\n{{}}",
            authorization("dynamodb")
        );
        stream.write_all(request.as_bytes()).await.unwrap();

        let mut reply = [0; 64];
        let waited = tokio::time::timeout(Duration::from_millis(300), stream.read(&mut reply));
        assert!(waited.await.is_err(), "a hung call gets no answer");
        stream.shutdown().await.unwrap();
        let closed = tokio::time::timeout(Duration::from_secs(2), stream.read(&mut reply));
        assert_eq!(
            closed.await.unwrap().unwrap(),
            0,
            "the proxy closes its side"
        );
    }

    #[tokio::test]
    async fn counts_each_fault_class_by_operation_and_in_the_totals() {
        let proxy = proxy().await;
        proxy.hang("DynamoDB.UpdateItem", "CompletedAt", 1);
        proxy.outage("SNS.", true);
        proxy.throttle("SES.SendEmail", 0.01, 1);
        proxy.delay("DynamoDB.GetItem", Duration::from_millis(10));

        let hung = dynamodb(&proxy, "UpdateItem", "CompletedAt")
            .timeout(Duration::from_millis(300))
            .send()
            .await;
        assert!(hung.is_err());
        let _ = send(query(&proxy, "sns", "Publish")).await;
        let _ = send(query(&proxy, "ses", "SendEmail")).await;
        let _ = send(query(&proxy, "ses", "SendEmail")).await;
        let _ = send(dynamodb(&proxy, "GetItem", "{}")).await;

        let expected = [
            (
                "DynamoDB.GetItem",
                OperationCounts {
                    forwarded: 1,
                    delayed: 1,
                    ..OperationCounts::default()
                },
            ),
            (
                "DynamoDB.UpdateItem",
                OperationCounts {
                    hung: 1,
                    ..OperationCounts::default()
                },
            ),
            (
                "SES.SendEmail",
                OperationCounts {
                    forwarded: 1,
                    throttled: 1,
                    ..OperationCounts::default()
                },
            ),
            (
                "SNS.Publish",
                OperationCounts {
                    outage: 1,
                    ..OperationCounts::default()
                },
            ),
        ];
        let expected: BTreeMap<String, OperationCounts> = expected
            .into_iter()
            .map(|(operation, counts)| (operation.to_owned(), counts))
            .collect();
        assert_eq!(proxy.counts(), expected);
        let totals = proxy.totals();
        assert_eq!(totals.total(), 5);
        assert_eq!(
            (totals.hung, totals.outage, totals.throttled, totals.delayed),
            (1, 1, 1, 1)
        );
    }

    #[tokio::test]
    async fn a_call_whose_caller_gives_up_while_moto_runs_it_is_counted_abandoned() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let upstream = format!("http://{}", listener.local_addr().unwrap());
        let slow = axum::Router::new().fallback(|| async {
            tokio::time::sleep(Duration::from_millis(600)).await;
            "ok"
        });
        tokio::spawn(async move { axum::serve(listener, slow).await });
        let settings = FaultSettings {
            seed: 1,
            failure_rate: 0.0,
        };
        let proxy = FaultProxy::start(&upstream, settings).await;

        let impatient = query(&proxy, "ses", "SendEmail").timeout(Duration::from_millis(100));
        assert!(impatient.send().await.is_err(), "the caller gives up first");
        tokio::time::sleep(Duration::from_millis(900)).await;
        let given_up = counts(&proxy, "SES.SendEmail");
        assert_eq!((given_up.abandoned, given_up.forwarded), (1, 0));
        assert_eq!(given_up.total(), 1);

        assert_eq!(send(query(&proxy, "ses", "SendEmail")).await.status, 200);
        assert_eq!(counts(&proxy, "SES.SendEmail").forwarded, 1);
    }

    /// A proxy that never fails at random, in front of a server answering
    /// every request `200 ok`.
    async fn proxy() -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let upstream = format!("http://{}", listener.local_addr().unwrap());
        let app = axum::Router::new().fallback(|| async { "ok" });
        tokio::spawn(async move { axum::serve(listener, app).await });
        let settings = FaultSettings {
            seed: 1,
            failure_rate: 0.0,
        };
        FaultProxy::start(&upstream, settings).await
    }

    fn authorization(service: &str) -> String {
        format!(
            "AWS4-HMAC-SHA256 Credential=test/20240501/us-east-1/{service}/aws4_request, \
             SignedHeaders=host, Signature=0"
        )
    }

    /// A JSON-protocol call, as the SDK sends DynamoDB's.
    fn dynamodb(proxy: &FaultProxy, action: &str, body: &str) -> reqwest::RequestBuilder {
        reqwest::Client::new()
            .post(proxy.endpoint())
            .headers(signed("dynamodb"))
            .header("x-amz-target", format!("DynamoDB_20120810.{action}"))
            .header(CONTENT_TYPE, "application/x-amz-json-1.0")
            .body(body.to_owned())
    }

    /// A query-protocol call, as the SDK sends SES's and SNS's.
    fn query(proxy: &FaultProxy, service: &str, action: &str) -> reqwest::RequestBuilder {
        reqwest::Client::new()
            .post(proxy.endpoint())
            .headers(signed(service))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(format!("Action={action}&Version=2010-12-01"))
    }

    #[derive(Debug)]
    struct Answer {
        status: u16,
        content_type: String,
        body: String,
    }

    async fn send(request: reqwest::RequestBuilder) -> Answer {
        let reply = request.send().await.unwrap();
        let status = reply.status().as_u16();
        let content_type = reply
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = reply.text().await.unwrap();
        Answer {
            status,
            content_type,
            body,
        }
    }

    fn counts(proxy: &FaultProxy, operation: &str) -> OperationCounts {
        proxy.counts().get(operation).copied().unwrap_or_default()
    }
}
