use std::process::ExitCode;

use audit_worker::{RecordAudit, Settings, COMPONENT};
use shared::adapters::DynamoDbAuditLog;
use shared::batch::serve;
use shared::config::{clients, CallBudget, SdkConfig};
use shared::telemetry::fatal;
use shared::Env;

#[tokio::main]
async fn main() -> ExitCode {
    shared::telemetry::init(COMPONENT);
    let settings = match Settings::read(&Env::process()) {
        Ok(settings) => settings,
        Err(error) => return fatal(COMPONENT, &error),
    };
    let aws = settings.worker.aws.function();
    // Built with the first batch in Lambda (shared::batch::serve).
    let make_handler = |aws: &SdkConfig| {
        RecordAudit::new(DynamoDbAuditLog::new(
            clients::dynamodb(aws, CallBudget::DATA),
            &settings.audit_table,
        ))
    };
    match serve(&settings.worker, &aws, make_handler).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fatal(COMPONENT, &error),
    }
}
