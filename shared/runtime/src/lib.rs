//! The function runtime: what turns a handler over the ports into a Lambda
//! function, or into a long-running process in local mode.
//!
//! # Layout
//!
//! - [`batch`]: the SQS batch runner both workers share, its local-mode
//!   poller, and a worker binary's entry.
//! - [`relay`]: the outbox relay binary's entry.
//! - [`deadline`]: an invocation's deadline, and what a caught panic said.
//! - [`metrics`]: the fleet's metrics as CloudWatch EMF.
//! - [`telemetry`]: JSON log lines in Lambda, readable ones locally.
//! - [`shutdown`]: Ctrl-C or SIGTERM, for every binary in local mode.

pub mod batch;
pub mod deadline;
pub mod metrics;
pub mod relay;
pub mod shutdown;
pub mod telemetry;

pub use deadline::{invocation_deadline, panic_message};
