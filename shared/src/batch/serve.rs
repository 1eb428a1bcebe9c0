//! A worker binary's entry: Lambda mode under the Lambda runtime, local mode
//! (the poller) anywhere else — the same handler either way.

use std::convert::Infallible;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};

use aws_config::SdkConfig;
use aws_lambda_events::sqs::SqsEvent;
use lambda_runtime::{service_fn, LambdaEvent};

use super::poller::Poller;
use super::runner::{BatchRunner, EventHandler, RunnerSettings};
use crate::adapters::{SqsDeadLetters, SqsQueue};
use crate::ports::BackendError;
use crate::Config;

/// Records handled at once. SQS and Lambda batches are 10 by default; this
/// bounds a larger batch so the mail service is not flooded.
const CONCURRENCY: usize = 10;

/// Which queue a worker consumes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerQueue {
    /// The worker's name (`email-worker`), written on what it dead-letters.
    pub component: &'static str,
    pub queue: String,
    /// Used only if the queue has no redrive policy naming its DLQ.
    pub fallback_dlq: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("could not resolve the queue {queue} and its dead-letter queue")]
    Queue {
        queue: String,
        #[source]
        source: BackendError,
    },
    #[error("the Lambda runtime stopped")]
    Lambda(#[source] lambda_runtime::Error),
}

/// Runs `handler` on `queue` until the Lambda runtime stops or, in local
/// mode, until Ctrl-C or SIGTERM (after the batch in hand).
pub async fn serve<H: EventHandler>(
    config: &Config,
    aws: &SdkConfig,
    queue: WorkerQueue,
    handler: H,
) -> Result<(), ServeError> {
    let sqs = aws_sdk_sqs::Client::new(aws);
    let resolved = resolve(&sqs, config, &queue).await?;
    tracing::info!(
        queue = %resolved.url,
        deadLetterQueue = %resolved.dead_letter.url,
        maxReceiveCount = resolved.max_receive_count,
        lambda = config.lambda_mode,
        "{} started",
        queue.component
    );
    let runner = BatchRunner::new(
        handler,
        SqsDeadLetters::new(sqs.clone(), &resolved.dead_letter.url),
        RunnerSettings {
            component: queue.component.to_owned(),
            source_queue: resolved.name.clone(),
            max_receive_count: resolved.max_receive_count,
            concurrency: CONCURRENCY,
        },
    );
    if config.lambda_mode {
        let runner = &runner;
        lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
            let deadline = invocation_deadline(&event.context);
            Ok::<_, Infallible>(runner.run(event.payload, deadline).await.response())
        }))
        .await
        .map_err(ServeError::Lambda)
    } else {
        Poller::new(sqs, &resolved, &config.region, config.worker_timeout)
            .run(&runner, crate::shutdown::signal())
            .await;
        Ok(())
    }
}

/// When the invocation must have answered: Lambda's deadline (epoch ms).
fn invocation_deadline(context: &lambda_runtime::Context) -> DateTime<Utc> {
    i64::try_from(context.deadline)
        .ok()
        .and_then(|millis| Utc.timestamp_millis_opt(millis).single())
        .unwrap_or_else(|| Utc::now() + chrono::Duration::seconds(30))
}

/// Looks the queue up. A failure that may pass (the endpoint is not up yet,
/// a throttle) is retried with backoff in local mode, where no one restarts a
/// worker that gave up; Lambda retries a failed init by itself.
async fn resolve(
    sqs: &aws_sdk_sqs::Client,
    config: &Config,
    queue: &WorkerQueue,
) -> Result<SqsQueue, ServeError> {
    let mut backoff = Duration::from_millis(500);
    loop {
        match SqsQueue::resolve(
            sqs,
            &queue.queue,
            &queue.fallback_dlq,
            config.max_receive_count,
        )
        .await
        {
            Ok(resolved) => return Ok(resolved),
            Err(source) if source.transient && !config.lambda_mode => {
                tracing::warn!(
                    queue = %queue.queue,
                    error = %crate::telemetry::error_chain(&source),
                    retryIn = ?backoff,
                    "could not resolve the queue yet"
                );
                tokio::select! {
                    () = crate::shutdown::signal() => {
                        return Err(ServeError::Queue { queue: queue.queue.clone(), source })
                    }
                    () = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(Duration::from_secs(10));
            }
            Err(source) => {
                return Err(ServeError::Queue {
                    queue: queue.queue.clone(),
                    source,
                })
            }
        }
    }
}
