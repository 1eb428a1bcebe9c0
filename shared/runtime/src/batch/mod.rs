//! The SQS batch runner both workers share (`runner`); why a record failed
//! and what becomes of it (`error`); the backoff applied (`redelivery`);
//! local mode's poller (`poller`); a worker binary's entry (`serve`).

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
