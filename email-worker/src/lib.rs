//! email-worker: one order confirmation per `ORDER_CREATED` event, through SES.
//!
//! # Layout
//!
//! - [`send_confirmation`]: the handler: claim the event id, send, record the send.
//! - [`confirmation`], [`template`]: the email, from `templates/`, HTML-escaped.
//! - [`pacer`]: this worker's share of the account's SES send rate.

pub mod confirmation;
pub mod pacer;
pub mod send_confirmation;
pub mod settings;
pub mod template;

pub use pacer::Pacer;
pub use send_confirmation::SendConfirmation;
pub use settings::Settings;

/// The name in logs and on dead letters.
pub const COMPONENT: &str = "email-worker";
