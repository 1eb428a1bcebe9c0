use std::process::ExitCode;
use std::time::Duration;

use adapters::config::{clients, CallBudget, SdkConfig};
use adapters::{DynamoDbIdempotencyStore, DynamoDbRecipientLimit, Env, SesMailer};
use email_worker::{Pacer, SendConfirmation, Settings, COMPONENT};
use runtime::batch::serve;
use runtime::telemetry::fatal;

/// How long a send is remembered: longer than a message can live in the
/// queue (4 days) plus its DLQ (14 days), so a late redrive is still a no-op.
const REMEMBER_SENDS_FOR: Duration = Duration::from_secs(30 * 24 * 3600);

#[tokio::main]
async fn main() -> ExitCode {
    runtime::telemetry::init(COMPONENT);
    let settings = match Settings::read(&Env::process()) {
        Ok(settings) => settings,
        Err(error) => return fatal(COMPONENT, &error),
    };
    // Built with the first batch in Lambda (runtime::batch::serve).
    let make_handler = |aws: &SdkConfig| {
        let mailer = SesMailer::new(clients::ses(aws, CallBudget::MAIL), &settings.sender_email);
        // One client for both adapters: each client made costs start-up time.
        let dynamodb = clients::dynamodb(aws, CallBudget::DATA);
        let table = &settings.idempotency_table;
        let claims = DynamoDbIdempotencyStore::new(dynamodb.clone(), table, REMEMBER_SENDS_FOR);
        let limit = DynamoDbRecipientLimit::new(dynamodb, table, settings.email_limit_per_hour);
        let pacer = Pacer::new(settings.ses_max_send_rate, settings.max_concurrency);
        SendConfirmation::new(mailer, claims, limit).with_pacer(pacer)
    };
    match serve(&settings.worker, make_handler).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fatal(COMPONENT, &error),
    }
}
