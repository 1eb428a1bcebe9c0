//! Wiring only: settings, clients, adapters, then Lambda or a local server.

use std::sync::LazyLock;
use std::time::Duration;

use axum::Router;
use tower::ServiceExt;

use adapters::config::{clients, CallBudget};
use adapters::{DynamoDbOrderRepository, Env, SnsEventPublisher};
use order_api::ApiSettings;

/// The service on DynamoDB and SNS, behind the router. Every call gives up
/// within [`CallBudget::REQUEST`], so a client gets our JSON 500 before the 10 s timeout.
fn app(config: &ApiSettings) -> Router {
    let aws = config.aws.function();
    let dynamodb = clients::dynamodb(&aws, CallBudget::REQUEST);
    let sns = clients::sns(&aws, CallBudget::REQUEST);
    let service = order_api::OrderService::new(
        DynamoDbOrderRepository::new(dynamodb, &config.orders_table),
        SnsEventPublisher::new(sns, &config.order_topic_arn),
    )
    .with_publish_budget(config.publish_budget);
    order_api::router(service, &config.allowed_origins, config.auth)
}

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    runtime::telemetry::init("order-api");
    let config = ApiSettings::read(&Env::process())?;
    runtime::metrics::init(&config.aws.environment, "order-api", config.lambda_mode);
    if config.lambda_mode {
        // Built with the first request, not in init (adapters::config::AwsSettings::function).
        let app = LazyLock::new(|| {
            app(&config).layer(axum::middleware::map_response(
                // The log lines after the first answer are a warm start's.
                |response: axum::response::Response| async move {
                    runtime::metrics::flush();
                    runtime::telemetry::invocation_done();
                    response
                },
            ))
        });
        let app = &app;
        return lambda_http::run(tower::service_fn(move |request: lambda_http::Request| {
            Router::clone(app).oneshot(request)
        }))
        .await;
    }
    let app = app(&config);
    // Locally the metrics go to the log every few seconds, not per request.
    tokio::spawn(async {
        let mut every = tokio::time::interval(Duration::from_secs(10));
        loop {
            every.tick().await;
            runtime::metrics::flush();
        }
    });
    let listener = tokio::net::TcpListener::bind(config.listen_addr).await?;
    tracing::info!(address = %config.listen_addr, environment = %config.aws.environment, auth = ?config.auth, "order-api listening");
    axum::serve(listener, app)
        .with_graceful_shutdown(runtime::shutdown::signal())
        .await?;
    Ok(())
}
