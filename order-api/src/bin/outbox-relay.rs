//! outbox-relay: publishes the events of orders stored but not published.
//! Wiring only: settings, clients, the relay, then Lambda or a local loop.

use adapters::config::{clients, CallBudget};
use adapters::{DynamoDbOrderRepository, Env, SnsEventPublisher};
use order_api::RelayProcessSettings;
use ports::outbox::{OutboxRelay, RelaySettings};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    runtime::telemetry::init("outbox-relay");
    let config = RelayProcessSettings::read(&Env::process())?;
    runtime::metrics::init(&config.aws.environment, "outbox-relay", config.lambda_mode);
    // Called with the first invocation in Lambda (runtime::relay::serve).
    let make_relay = || {
        let aws = config.aws.function();
        let dynamodb = clients::dynamodb(&aws, CallBudget::BACKGROUND);
        let sns = clients::sns(&aws, CallBudget::BACKGROUND);
        OutboxRelay::new(
            DynamoDbOrderRepository::new(dynamodb, &config.orders_table),
            SnsEventPublisher::new(sns, &config.order_topic_arn),
            RelaySettings::with_grace(config.grace),
        )
    };
    runtime::relay::serve(make_relay, config.lambda_mode, config.interval).await
}
