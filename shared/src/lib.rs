//! The order fleet's shared core.
//!
//! # Layout
//!
//! - [`domain`] (the `domain` crate, re-exported): parse, don't validate —
//!   raw `POST /order` JSON becomes a [`domain::NewOrder`] of types that
//!   cannot be invalid (`Money`, `Quantity`, `CustomerEmail`), or every
//!   violation with its JSON path.
//! - [`event`]: the versioned `ORDER_CREATED` contract between the API and the
//!   workers, and the event inside a queue message (raw or in an SNS envelope).
//! - [`ports`]: one trait per capability the handlers need (`OrderRepository`,
//!   `EventPublisher`, `IdempotencyStore`, `Mailer`, `AuditLog`, `DeadLetters`,
//!   and the operator's `Queues`); handlers and orderctl depend on these only.
//! - [`outbox`]: publishing a stored order's event and marking the order, and
//!   the relay that publishes what order-api stored but could not publish.
//! - [`adapters`]: those traits on DynamoDB, SNS, SES and SQS, and the
//!   queries operators need (an order's audit trail, queue and DLQ
//!   resolution, the `RedrivePolicy`); all AWS shapes stay here.
//! - [`batch`]: the SQS batch runner both workers share, and its local-mode poller.
//! - [`config`]: the one environment reader ([`Env`]) each binary builds its
//!   own settings from, and the AWS settings ([`AwsSettings`]) all share.
//! - [`digest`]: SHA-256 in hex, for keys derived from private values.
//! - [`https`]: the SDK's HTTPS client (rustls on ring), which builds its TLS
//!   set-up once, at the first call, and a function's trusting AWS's roots only.
//! - [`metrics`]: the fleet's figures as CloudWatch EMF, flushed per invocation.
//! - [`redact`]: masks customer addresses in text we did not write (AWS errors).
//! - [`shutdown`]: Ctrl-C or SIGTERM, for every binary in local mode.
//! - [`telemetry`]: JSON logs in Lambda, readable ones locally.
//! - `fakes` (tests only, feature `fakes`): an `InMemory*`/`Recording*` fake
//!   of every port, and the shared `OrderCreated` fixture.

pub mod adapters;
pub mod batch;
pub mod config;
pub mod digest;
pub use domain;
pub mod event;
#[cfg(any(test, feature = "fakes"))]
pub mod fakes;
pub mod https;
pub mod metrics;
pub mod outbox;
pub mod ports;
pub mod redact;
pub mod shutdown;
pub mod telemetry;

pub use config::{AwsSettings, ConfigError, Env};
