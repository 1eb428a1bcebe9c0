//! The function runtime: what turns a handler over the ports into a Lambda
//! function, or into a long-running process in local mode.
//!
//! # Layout
//!
//! - [`batch`]: the SQS batch runner both workers share, its local poller, a worker's entry.
//! - [`relay`]: the outbox relay binary's entry.
//! - [`deadline`], [`metrics`] (CloudWatch EMF), [`telemetry`] (logs), [`shutdown`] (signals).

pub mod batch;
pub mod deadline;
pub mod metrics;
pub mod relay;
pub mod shutdown;
pub mod telemetry;

pub use deadline::{invocation_deadline, panic_message};
