//! The one error every port returns when its store, broker or mail service
//! fails, and how a failure is written in a log line or a dead letter.

/// An error from a store or a broker: the cause chain is kept for the log.
#[derive(Debug, thiserror::Error)]
#[error("{operation} failed")]
pub struct BackendError {
    pub operation: &'static str,
    /// Throttling, timeouts, 5xx: retrying later may succeed.
    pub transient: bool,
    pub fault: Fault,
    #[source]
    pub source: Box<dyn std::error::Error + Send + Sync>,
}

impl BackendError {
    pub fn new(
        operation: &'static str,
        transient: bool,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        BackendError {
            operation,
            transient,
            fault: Fault::Other,
            source: source.into(),
        }
    }

    pub fn with_fault(mut self, fault: Fault) -> Self {
        self.fault = fault;
        self
    }

    /// No answer in time (`why` says from whom, within what): transient, and unreachable.
    pub fn no_answer(operation: &'static str, why: String) -> Self {
        BackendError::new(operation, true, why).with_fault(Fault::Unreachable)
    }

    /// The service asked us to slow down: back-pressure, not a failure.
    pub fn is_throttled(&self) -> bool {
        self.fault == Fault::Throttled
    }
}

/// What an operator should check. Handlers decide on [`BackendError::transient`] alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// No answer at all: the endpoint is down, unreachable, or too slow.
    Unreachable,
    /// The table, queue or topic does not exist there.
    NotFound,
    /// Throttling (HTTP 429): the caller should slow down, not give up.
    Throttled,
    Other,
}

/// `outer: middle: root cause`, in one line. Causes we did not write (AWS
/// error messages) may name an address: it is masked.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    crate::redact::addresses(&text).into_owned()
}
