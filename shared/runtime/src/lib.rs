//! The function runtime: what turns a handler over the ports into a Lambda
//! function, or into a long-running process in local mode.

pub mod batch;
pub mod deadline;
pub mod metrics;
pub mod relay;
pub mod shutdown;
pub mod telemetry;

pub use deadline::{invocation_deadline, panic_message};
