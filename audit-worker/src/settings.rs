//! What audit-worker reads of the environment, and nothing else: no sender,
//! no CORS origins, no listen address, no topic.

use adapters::{ConfigError, Env};
use runtime::batch::WorkerSettings;

use crate::COMPONENT;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `AUDIT_QUEUE`, `AUDIT_DLQ` (a fallback), and how the worker runs.
    pub worker: WorkerSettings,
    pub audit_table: String,
}

impl Settings {
    pub fn read(env: &Env) -> Result<Settings, ConfigError> {
        Ok(Settings {
            worker: WorkerSettings::read(
                env,
                COMPONENT,
                ("AUDIT_QUEUE", "OrderAuditQueue"),
                ("AUDIT_DLQ", "OrderAuditDLQ"),
            )?,
            audit_table: env.name("AUDIT_TABLE", "AuditLogs"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deployed_worker_needs_no_topic() {
        let env = Env::from_lookup(|name| (name == "ENVIRONMENT").then(|| "prod".to_owned()));
        let settings = Settings::read(&env).expect("no ORDER_TOPIC_ARN needed");
        assert_eq!(settings.worker.queue, "prod-OrderAuditQueue");
        assert_eq!(settings.audit_table, "prod-AuditLogs");
        assert_eq!(settings.worker.aws.endpoint_url, None);
    }
}
