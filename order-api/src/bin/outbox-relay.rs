//! outbox-relay: publishes the events of orders stored but not published.
//! Wiring only: settings, clients, the relay, then Lambda or a local loop.

use order_api::RelayProcessSettings;
use shared::adapters::{DynamoDbOrderRepository, SnsEventPublisher};
use shared::outbox::{OutboxRelay, RelaySettings};
use shared::Env;

/// Orders read per page of the backlog.
const PAGE_SIZE: usize = 100;

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
            DynamoDbOrderRepository::new(aws_sdk_dynamodb::Client::new(&aws), &config.orders_table),
            SnsEventPublisher::new(aws_sdk_sns::Client::new(&aws), &config.order_topic_arn),
            RelaySettings {
                grace: config.grace,
                page_size: PAGE_SIZE,
            },
        )
    };
    shared::outbox::serve(make_relay, config.lambda_mode, config.interval).await
}
