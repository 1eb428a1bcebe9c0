//! What the soak test (`tests/soak.rs`) is made of.
//!
//! - [`fleet`]: the processes under test, started against the fault proxy,
//!   and the crash of one worker of each kind.
//! - [`orders`]: the valid orders the clients post, one customer each.
//! - [`clients`]: the app's clients, posting (and killing workers on the
//!   way) and replaying.
//! - [`census`]: what the stack holds afterwards, read from moto directly.
//! - [`report`]: the figures, printed, written as JSON, and checked.
//! - [`scenario`]: each failure mode the soak runs the fleet under.

pub mod census;
pub mod clients;
pub mod fleet;
pub mod orders;
pub mod report;
pub mod scenario;
