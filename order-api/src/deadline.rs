//! When a request's time is up: the Lambda invocation's deadline, or locally
//! a budget. The work is cut off just before it, so the client gets our
//! answer rather than a gateway timeout.

use std::time::Duration;

use axum::extract::Request;
use chrono::{DateTime, TimeDelta, Utc};

/// A local request's budget: the function's timeout in the template.
const LOCAL_BUDGET: TimeDelta = TimeDelta::seconds(10);
/// Kept back from the deadline to write the answer.
const ANSWER_MARGIN: Duration = Duration::from_millis(500);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline(pub DateTime<Utc>);

impl Deadline {
    pub fn of(request: &Request) -> Deadline {
        let invocation = request.extensions().get::<lambda_http::Context>();
        Deadline(invocation.map_or_else(|| Utc::now() + LOCAL_BUDGET, runtime::invocation_deadline))
    }

    /// How long the work may take: until the deadline, less time to answer.
    pub fn budget(&self) -> Duration {
        (self.0 - Utc::now())
            .to_std()
            .unwrap_or_default()
            .saturating_sub(ANSWER_MARGIN)
    }
}
