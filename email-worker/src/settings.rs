use adapters::{ConfigError, Env};
use runtime::batch::WorkerSettings;

use crate::COMPONENT;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `EMAIL_QUEUE`, `EMAIL_DLQ` (a fallback), and how the worker runs.
    pub worker: WorkerSettings,
    /// `IDEMPOTENCY_TABLE`: the claims on each event's email.
    pub idempotency_table: String,
    /// `SENDER_EMAIL`: the verified SES identity mail is sent from.
    pub sender_email: String,
    /// `EMAIL_LIMIT_PER_HOUR` (5): confirmations one address may receive an hour.
    pub email_limit_per_hour: u32,
    /// `SES_MAX_SEND_RATE` (14): the account's SES maximum send rate, per second.
    pub ses_max_send_rate: u32,
    /// `EMAIL_MAX_CONCURRENCY` (2): copies at once (`MaximumConcurrency`), sharing the rate.
    pub max_concurrency: u32,
}

impl Settings {
    pub fn read(env: &Env) -> Result<Settings, ConfigError> {
        Ok(Settings {
            worker: WorkerSettings::read(
                env,
                COMPONENT,
                ("EMAIL_QUEUE", "OrderEmailQueue"),
                ("EMAIL_DLQ", "OrderEmailDLQ"),
            )?,
            idempotency_table: env.name("IDEMPOTENCY_TABLE", "Idempotency"),
            sender_email: env.text("SENDER_EMAIL", "orders@example.com"),
            email_limit_per_hour: env.count("EMAIL_LIMIT_PER_HOUR", 5)?,
            ses_max_send_rate: env.count("SES_MAX_SEND_RATE", 14)?,
            max_concurrency: env.count("EMAIL_MAX_CONCURRENCY", 2)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_local_run_needs_no_settings() {
        let settings = Settings::read(&Env::from_lookup(|_| None)).expect("defaults");
        assert_eq!(settings.worker.queue, "local-OrderEmailQueue");
        assert_eq!(settings.worker.fallback_dlq, "local-OrderEmailDLQ");
        assert_eq!(settings.worker.max_receive_count, 10);
        assert_eq!(settings.worker.worker_timeout, Duration::from_secs(30));
        assert_eq!(settings.idempotency_table, "local-Idempotency");
        assert_eq!(settings.sender_email, "orders@example.com");
        assert_eq!(settings.email_limit_per_hour, 5);
        assert_eq!(
            (settings.ses_max_send_rate, settings.max_concurrency),
            (14, 2)
        );
    }
}
