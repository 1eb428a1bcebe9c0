//! The SQS batch runner that both workers share.
//!
//! # Layout
//!
//! - `runner`: one `SqsEvent` → a `BatchReport` (and from it Lambda's
//!   `SqsBatchResponse`): each record parsed and handled on its own,
//!   concurrently, in a span keyed by its message id; an error or a panic
//!   fails that record only.
//! - `error`: why a record failed, and the one place that maps it to
//!   "retry" or "dead-letter now".
//! - `redelivery`: the backoff applied — a retried record is hidden for its
//!   delay before the batch answers.
//! - `poller`: local mode — long-polls the queue, builds the `SqsEvent` a
//!   Lambda would get, deletes what succeeded.
//! - `serve`: a worker binary's entry: Lambda or local mode.

mod error;
pub mod poller;
mod redelivery;
mod runner;
mod serve;

pub use error::{disposition, Backoff, Disposition, RecordError};
pub use poller::Poller;
pub use ports::event::event_body;
pub use redelivery::delay_retries;
pub use runner::{BatchReport, BatchRunner, Delivery, EventHandler, RetryAfter, RunnerSettings};
pub use serve::{serve, ServeError, WorkerSettings};
