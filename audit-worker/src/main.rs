use std::process::ExitCode;

use adapters::config::{clients, CallBudget, SdkConfig};
use adapters::{DynamoDbAuditLog, Env};
use audit_worker::{RecordAudit, Settings, COMPONENT};
use runtime::batch::serve;
use runtime::telemetry::fatal;

#[tokio::main]
async fn main() -> ExitCode {
    runtime::telemetry::init(COMPONENT);
    let settings = match Settings::read(&Env::process()) {
        Ok(settings) => settings,
        Err(error) => return fatal(COMPONENT, &error),
    };
    // Built with the first batch in Lambda (runtime::batch::serve).
    let make_handler = |aws: &SdkConfig| {
        let dynamodb = clients::dynamodb(aws, CallBudget::DATA);
        RecordAudit::new(DynamoDbAuditLog::new(dynamodb, &settings.audit_table))
    };
    match serve(&settings.worker, make_handler).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fatal(COMPONENT, &error),
    }
}
