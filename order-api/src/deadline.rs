//! When a request's time is up: the Lambda invocation's deadline, or the
//! local server's budget. The work is cut off just before it so the client
//! always gets our answer rather than a gateway timeout, and the publish
//! never waits past it.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use chrono::{DateTime, Utc};

/// A local request's budget: the function's timeout in the template.
pub const LOCAL_BUDGET: Duration = Duration::from_secs(10);
/// Kept back from the deadline to write the answer.
const ANSWER_MARGIN: Duration = Duration::from_millis(500);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline(pub DateTime<Utc>);

impl Deadline {
    /// How long the work may take: until the deadline, less time to answer.
    pub fn budget(&self) -> Duration {
        (self.0 - Utc::now())
            .to_std()
            .unwrap_or_default()
            .saturating_sub(ANSWER_MARGIN)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Deadline {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let invocation = parts
            .extensions
            .get::<lambda_http::Context>()
            .map(runtime::invocation_deadline);
        Ok(Deadline(invocation.unwrap_or_else(|| {
            Utc::now() + chrono::Duration::from_std(LOCAL_BUDGET).unwrap_or_default()
        })))
    }
}
