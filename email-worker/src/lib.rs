//! email-worker: one order confirmation per `ORDER_CREATED` event, through SES.

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
