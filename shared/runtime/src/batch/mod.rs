//! The SQS batch runner both workers share, and what runs it in Lambda and locally.

mod error;
mod poller;
mod redelivery;
mod runner;
mod serve;

pub use error::{dead_letter_now, Backoff, RecordError};
pub use poller::Poller;
pub use ports::event::event_body;
pub use redelivery::delay_retries;
pub use runner::{BatchReport, BatchRunner, Delivery, EventHandler, RetryAfter, RunnerSettings};
pub use serve::{serve, ServeError, WorkerSettings};
