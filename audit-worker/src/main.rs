use std::process::ExitCode;

use audit_worker::{RecordAudit, COMPONENT};
use shared::adapters::DynamoDbAuditLog;
use shared::batch::{serve, WorkerQueue};
use shared::telemetry::fatal;
use shared::Config;

#[tokio::main]
async fn main() -> ExitCode {
    shared::telemetry::init(COMPONENT);
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => return fatal(COMPONENT, &error),
    };
    let aws = config.aws().await;
    let log = DynamoDbAuditLog::new(aws_sdk_dynamodb::Client::new(&aws), &config.audit_table);
    let queue = WorkerQueue {
        component: COMPONENT,
        queue: config.audit_queue.clone(),
        fallback_dlq: config.audit_dlq.clone(),
    };
    match serve(&config, &aws, queue, RecordAudit::new(log)).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fatal(COMPONENT, &error),
    }
}
