//! email-worker: one order confirmation per `ORDER_CREATED` event, through SES.
//!
//! # Layout
//!
//! - [`send_confirmation`]: the handler: claim the event id, send, record the send.
//! - [`confirmation`]: the email, from the templates in `templates/`.
//! - [`pacer`]: this worker's share of the account's SES send rate.
//! - [`template`]: `{{name}}` placeholders and HTML escaping.
//! - [`settings`]: what the worker reads of the environment.

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
