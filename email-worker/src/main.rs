use std::process::ExitCode;
use std::time::Duration;

use email_worker::{SendConfirmation, Settings, COMPONENT};
use shared::adapters::{DynamoDbIdempotencyStore, DynamoDbRecipientLimit, SesMailer};
use shared::batch::serve;
use shared::telemetry::fatal;
use shared::Env;

/// How long a send is remembered: longer than a message can live in the
/// queue (4 days) plus its DLQ (14 days), so a late redrive is still a no-op.
const REMEMBER_SENDS_FOR: Duration = Duration::from_secs(30 * 24 * 3600);

#[tokio::main]
async fn main() -> ExitCode {
    shared::telemetry::init(COMPONENT);
    let settings = match Settings::read(&Env::process()) {
        Ok(settings) => settings,
        Err(error) => return fatal(COMPONENT, &error),
    };
    let aws = settings.worker.aws.function();
    let mailer = SesMailer::new(aws_sdk_ses::Client::new(&aws), &settings.sender_email);
    let claims = DynamoDbIdempotencyStore::new(
        aws_sdk_dynamodb::Client::new(&aws),
        &settings.idempotency_table,
        REMEMBER_SENDS_FOR,
    );
    let limit = DynamoDbRecipientLimit::new(
        aws_sdk_dynamodb::Client::new(&aws),
        &settings.idempotency_table,
        settings.email_limit_per_hour,
    );
    let handler = SendConfirmation::new(mailer, claims, limit);
    match serve(&settings.worker, &aws, handler).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fatal(COMPONENT, &error),
    }
}
