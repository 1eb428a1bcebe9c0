//! [`Mailer`] that keeps what it sends.

use std::collections::VecDeque;
use std::sync::Mutex;

use crate::{BackendError, Email, Mailer, Sent};

/// Keeps every email it sends; answers with the scripted failures first.
#[derive(Debug, Default)]
pub struct RecordingMailer {
    sent: Mutex<Vec<Email>>,
    failures: Mutex<VecDeque<BackendError>>,
}

impl RecordingMailer {
    pub fn failing_with(errors: impl IntoIterator<Item = BackendError>) -> Self {
        RecordingMailer {
            failures: Mutex::new(errors.into_iter().collect()),
            ..Default::default()
        }
    }

    pub fn sent(&self) -> Vec<Email> {
        self.sent.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl Mailer for RecordingMailer {
    async fn send(&self, email: &Email) -> Result<Sent, BackendError> {
        let failure = self.failures.lock().ok().and_then(|mut f| f.pop_front());
        if let Some(error) = failure {
            return Err(error);
        }
        let mut sent = self
            .sent
            .lock()
            .map_err(|_| BackendError::new("SES.SendEmail", true, "poisoned"))?;
        sent.push(email.clone());
        Ok(Sent {
            message_id: format!("ses-{}", sent.len()),
        })
    }
}
