//! The function runtime: what turns a handler over the ports into a Lambda
//! function, or into a long-running process in local mode — the same
//! handler either way.
//!
//! # Layout
//!
//! - [`batch`]: the SQS batch runner both workers share (each record on its
//!   own, a panic or an error that record's failure, a backoff for what will
//!   be retried), its local-mode poller, and a worker binary's entry.
//! - [`relay`]: the outbox relay binary's entry — a scheduled Lambda
//!   function, or a loop locally.
//! - [`deadline`]: when an invocation's time is up, from Lambda's context;
//!   and [`panic_message`], what a caught panic said.
//! - [`metrics`]: the fleet's metrics as CloudWatch EMF, flushed per invocation.
//! - [`telemetry`]: JSON log lines in Lambda, readable ones locally.
//! - [`shutdown`]: Ctrl-C or SIGTERM, for every binary in local mode.

pub mod batch;
pub mod deadline;
pub mod metrics;
pub mod relay;
pub mod shutdown;
pub mod telemetry;

pub use deadline::{invocation_deadline, panic_message};
