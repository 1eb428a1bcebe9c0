//! The mobile app's way of posting an order, as its HTTP client does it: one
//! `Idempotency-Key` per order, up to three attempts with backoff 1 s then
//! 2 s (plus a little jitter), retrying what may succeed next time.

use std::time::Duration;

use serde::Serialize;

/// The app's policy.
pub const ATTEMPTS: usize = 3;
/// Waits before the second and the third attempt.
pub const BACKOFF: [Duration; 2] = [Duration::from_secs(1), Duration::from_secs(2)];
/// Up to this much is added to each wait, so clients do not retry in step.
pub const JITTER: Duration = Duration::from_millis(250);
/// The app gives up on an attempt after this long.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(15);

/// How one attempt ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum Attempt {
    /// The API answered (`body` is `null` when empty or not JSON).
    Answered {
        status: u16,
        body: serde_json::Value,
    },
    /// No answer within [`CLIENT_TIMEOUT`].
    TimedOut,
    /// The connection failed or broke off.
    Transport { error: String },
}

impl Attempt {
    /// Whether the app tries again: transport errors, timeouts, 5xx, 409
    /// (the key's first request still running) and 429. Any other 4xx is final.
    pub fn is_retryable(&self) -> bool {
        match self {
            Attempt::Answered { status, .. } => *status >= 500 || *status == 409 || *status == 429,
            Attempt::TimedOut | Attempt::Transport { .. } => true,
        }
    }

    /// The order id of a 200.
    pub fn order_id(&self) -> Option<&str> {
        match self {
            Attempt::Answered { status: 200, body } => body["orderId"].as_str(),
            _ => None,
        }
    }

    /// One line for a report: the status and the error, or the failure.
    pub fn summary(&self) -> String {
        match self {
            Attempt::Answered { status, body } => {
                let error = body["error"].as_str().unwrap_or_default();
                format!("{status} {error}").trim_end().to_owned()
            }
            Attempt::TimedOut => format!("no answer within {CLIENT_TIMEOUT:?}"),
            Attempt::Transport { error } => format!("transport error: {error}"),
        }
    }
}

/// Every attempt at one order, in order.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Submission {
    pub idempotency_key: String,
    pub attempts: Vec<Attempt>,
    /// How long each attempt took, in milliseconds, in order.
    pub latencies_ms: Vec<u64>,
}

impl Submission {
    /// The order id the app was given, if any attempt succeeded.
    pub fn order_id(&self) -> Option<&str> {
        self.attempts.iter().find_map(Attempt::order_id)
    }

    pub fn accepted(&self) -> bool {
        self.order_id().is_some()
    }
}

/// The app's HTTP client, pointed at an order-api.
#[derive(Debug, Clone)]
pub struct MobileApp {
    client: reqwest::Client,
    order_url: String,
}

impl MobileApp {
    /// A client of the API at `address` (`http://127.0.0.1:<port>`).
    pub fn new(address: &str) -> MobileApp {
        let client = reqwest::Client::builder()
            .timeout(CLIENT_TIMEOUT)
            .build()
            .unwrap_or_else(|e| panic!("building the app's HTTP client: {e}"));
        MobileApp {
            client,
            order_url: format!("{address}/order"),
        }
    }

    /// Posts `body` under `key` by the app's policy; `rng` draws the jitter.
    pub async fn submit(&self, body: &str, key: &str, rng: &mut fastrand::Rng) -> Submission {
        let mut attempts = Vec::with_capacity(ATTEMPTS);
        let mut latencies_ms = Vec::with_capacity(ATTEMPTS);
        for attempt in 0..ATTEMPTS {
            if let Some(wait) = attempt.checked_sub(1).and_then(|i| BACKOFF.get(i)) {
                let jitter = rng.u64(..=JITTER.as_millis().try_into().unwrap_or(u64::MAX));
                tokio::time::sleep(*wait + Duration::from_millis(jitter)).await;
            }
            let started = std::time::Instant::now();
            let outcome = self.attempt(body, key).await;
            latencies_ms.push(u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX));
            let again = outcome.is_retryable();
            attempts.push(outcome);
            if !again {
                break;
            }
        }
        Submission {
            idempotency_key: key.to_owned(),
            attempts,
            latencies_ms,
        }
    }

    async fn attempt(&self, body: &str, key: &str) -> Attempt {
        let sent = self
            .client
            .post(&self.order_url)
            .header("content-type", "application/json")
            .header("idempotency-key", key)
            .body(body.to_owned())
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            Err(e) if e.is_timeout() => return Attempt::TimedOut,
            Err(e) => return Attempt::Transport { error: chain(&e) },
        };
        let status = response.status().as_u16();
        match response.text().await {
            Ok(text) => Attempt::Answered {
                status,
                body: serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
            },
            Err(e) if e.is_timeout() => Attempt::TimedOut,
            Err(e) => Attempt::Transport { error: chain(&e) },
        }
    }
}

/// reqwest's message and its causes: "error sending request" alone says little.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answered(status: u16) -> Attempt {
        Attempt::Answered {
            status,
            body: serde_json::Value::Null,
        }
    }

    #[test]
    fn retries_what_may_succeed_next_time_and_nothing_else() {
        for status in [500, 502, 503, 504, 409, 429] {
            assert!(answered(status).is_retryable(), "{status}");
        }
        for status in [200, 400, 413, 415, 422] {
            assert!(!answered(status).is_retryable(), "{status}");
        }
        assert!(Attempt::TimedOut.is_retryable());
        assert!(Attempt::Transport {
            error: "reset".to_owned()
        }
        .is_retryable());
    }
}
