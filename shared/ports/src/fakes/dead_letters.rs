//! [`DeadLetters`] that keeps what it is sent.

use std::sync::Mutex;

use crate::{BackendError, DeadLetter, DeadLetters};

/// Keeps what it is sent; fails every send when broken, panics when buggy.
#[derive(Debug, Default)]
pub struct RecordingDeadLetters {
    letters: Mutex<Vec<DeadLetter>>,
    broken: bool,
    buggy: bool,
}

impl RecordingDeadLetters {
    /// A DLQ that cannot be reached: every send fails transiently.
    pub fn broken() -> Self {
        RecordingDeadLetters {
            broken: true,
            ..Default::default()
        }
    }

    /// An adapter with a bug: every send panics.
    pub fn buggy() -> Self {
        RecordingDeadLetters {
            buggy: true,
            ..Default::default()
        }
    }

    pub fn letters(&self) -> Vec<DeadLetter> {
        self.letters.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

impl DeadLetters for RecordingDeadLetters {
    async fn send(&self, letter: &DeadLetter) -> Result<(), BackendError> {
        assert!(!self.buggy, "the DLQ adapter has a bug");
        if self.broken {
            return Err(BackendError::new(
                "DLQ.SendMessage",
                true,
                "DLQ unreachable",
            ));
        }
        self.letters
            .lock()
            .map_err(|_| BackendError::new("DLQ.SendMessage", true, "poisoned"))?
            .push(letter.clone());
        Ok(())
    }
}
