use std::any::Any;

use chrono::{DateTime, TimeZone, Utc};

/// Lambda's deadline for this invocation; 30 s from now if its context has none.
pub fn invocation_deadline(context: &lambda_runtime::Context) -> DateTime<Utc> {
    i64::try_from(context.deadline)
        .ok()
        .and_then(|millis| Utc.timestamp_millis_opt(millis).single())
        .unwrap_or_else(|| Utc::now() + chrono::Duration::seconds(30))
}

/// The message a panic was raised with, for a log line or a dead letter.
pub fn panic_message(panic: &(dyn Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deadline_is_the_contexts_epoch_milliseconds() {
        let mut context = lambda_runtime::Context::default();
        context.deadline = 1_767_225_600_123;
        assert_eq!(
            invocation_deadline(&context).timestamp_millis(),
            1_767_225_600_123
        );
    }

    #[test]
    fn a_panic_says_what_it_was_raised_with() {
        let text: Box<dyn Any + Send> = Box::new("the template is missing");
        let owned: Box<dyn Any + Send> = Box::new(String::from("index 3 out of range"));
        let other: Box<dyn Any + Send> = Box::new(7_u8);
        assert_eq!(panic_message(&*text), "the template is missing");
        assert_eq!(panic_message(&*owned), "index 3 out of range");
        assert_eq!(panic_message(&*other), "a panic without a message");
    }
}
