use std::process::ExitCode;
use std::time::Duration;

use email_worker::{SendConfirmation, COMPONENT};
use shared::adapters::{DynamoDbIdempotencyStore, DynamoDbRecipientLimit, SesMailer};
use shared::batch::{serve, WorkerQueue};
use shared::telemetry::fatal;
use shared::Config;

/// How long a send is remembered: longer than a message can live in the
/// queue (4 days) plus its DLQ (14 days), so a late redrive is still a no-op.
const REMEMBER_SENDS_FOR: Duration = Duration::from_secs(30 * 24 * 3600);

#[tokio::main]
async fn main() -> ExitCode {
    shared::telemetry::init(COMPONENT);
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => return fatal(COMPONENT, &error),
    };
    let aws = config.aws().await;
    let mailer = SesMailer::new(aws_sdk_ses::Client::new(&aws), &config.sender_email);
    let claims = DynamoDbIdempotencyStore::new(
        aws_sdk_dynamodb::Client::new(&aws),
        &config.idempotency_table,
        REMEMBER_SENDS_FOR,
    );
    let queue = WorkerQueue {
        component: COMPONENT,
        queue: config.email_queue.clone(),
        fallback_dlq: config.email_dlq.clone(),
    };
    let limit = DynamoDbRecipientLimit::new(
        aws_sdk_dynamodb::Client::new(&aws),
        &config.idempotency_table,
        config.email_limit_per_hour,
    );
    let handler = SendConfirmation::new(mailer, claims, limit);
    match serve(&config, &aws, queue, handler).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fatal(COMPONENT, &error),
    }
}
