//! Sending mail to customers.

use std::future::Future;

use crate::BackendError;
use domain::CustomerEmail;

/// One message to one customer, rendered and ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub to: CustomerEmail,
    pub subject: String,
    pub html: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// The provider's id for the message (SES's `MessageId`), kept as proof of sending.
    pub message_id: String,
}

pub trait Mailer: Send + Sync {
    /// A rejection the service will repeat (an unverified sender) is not transient.
    fn send(&self, email: &Email) -> impl Future<Output = Result<Sent, BackendError>> + Send;
}
