//! outbox-relay: publishes the events of orders stored but not published.
//! Wiring only: settings, clients, the relay, then Lambda or a local loop.

use order_api::RelayProcessSettings;
use shared::adapters::{DynamoDbOrderRepository, SnsEventPublisher};
use shared::config::{clients, CallBudget};
use shared::outbox::{OutboxRelay, RelaySettings};
use shared::Env;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::telemetry::init("outbox-relay");
    let config = RelayProcessSettings::read(&Env::process())?;
    shared::metrics::init(
        &config.aws.environment,
        &shared::metrics::function_name("outbox-relay"),
        config.lambda_mode,
    );
    // Called with the first invocation in Lambda (shared::outbox::serve).
    let make_relay = || {
        let aws = config.aws.function();
        OutboxRelay::new(
            DynamoDbOrderRepository::new(
                clients::dynamodb(&aws, CallBudget::DATA),
                &config.orders_table,
            ),
            SnsEventPublisher::new(
                clients::sns(&aws, CallBudget::BACKGROUND_PUBLISH),
                &config.order_topic_arn,
            ),
            RelaySettings::with_grace(config.grace),
        )
    };
    shared::outbox::serve(make_relay, config.lambda_mode, config.interval).await
}
