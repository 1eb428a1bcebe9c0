//! A worker binary's entry: Lambda mode under the Lambda runtime, local mode
//! (the poller) anywhere else — the same handler either way.

use std::sync::LazyLock;
use std::time::Duration;

use aws_config::SdkConfig;
use aws_lambda_events::sqs::SqsEvent;
use lambda_runtime::{service_fn, LambdaEvent};

use super::error::Backoff;
use super::poller::Poller;
use super::runner::{BatchRunner, EventHandler, RunnerSettings};
use adapters::config::{clients, AwsSettings, CallBudget, ConfigError, Env};
use adapters::{SqsDeadLetters, SqsQueue};
use ports::BackendError;

/// Records handled at once: a batch larger than SQS's default 10 must not flood SES.
const CONCURRENCY: usize = 10;

/// What a worker reads of the environment: its queue, and how it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerSettings {
    pub aws: AwsSettings,
    /// The worker's name (`email-worker`), written on what it dead-letters.
    pub component: &'static str,
    pub queue: String,
    /// For a queue without a `RedrivePolicy`, which would name both.
    pub fallback_dlq: String,
    pub max_receive_count: u32,
    pub backoff: Backoff,
    /// A local batch's deadline (in Lambda, the function's timeout).
    pub worker_timeout: Duration,
    pub lambda_mode: bool,
}

impl WorkerSettings {
    /// `queue` and `dlq` are (variable, default name suffix), as
    /// `("EMAIL_QUEUE", "OrderEmailQueue")`. `MAX_RECEIVE_COUNT`: the template's.
    pub fn read(
        env: &Env,
        component: &'static str,
        queue: (&str, &str),
        dlq: (&str, &str),
    ) -> Result<WorkerSettings, ConfigError> {
        Ok(WorkerSettings {
            aws: AwsSettings::read(env)?,
            component,
            queue: env.name(queue.0, queue.1),
            fallback_dlq: env.name(dlq.0, dlq.1),
            max_receive_count: env.count("MAX_RECEIVE_COUNT", 10)?,
            backoff: Backoff {
                first: env.seconds("RETRY_BASE_SECONDS", 60)?,
                max: env.seconds("RETRY_MAX_SECONDS", 7200)?,
            },
            worker_timeout: env.seconds("WORKER_TIMEOUT_SECONDS", 30)?,
            lambda_mode: env.lambda_mode(),
        })
    }
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

/// What Lambda records of a failed invocation: the error and its causes.
impl From<ServeError> for lambda_runtime::Diagnostic {
    fn from(error: ServeError) -> Self {
        lambda_runtime::Diagnostic {
            error_type: "ServeError".to_owned(),
            error_message: ports::error_chain(&error),
        }
    }
}

/// Runs the handler `make_handler` builds until the Lambda runtime stops or, in
/// local mode, until Ctrl-C or SIGTERM (after the batch in hand).
pub async fn serve<H, F>(config: &WorkerSettings, make_handler: F) -> Result<(), ServeError>
where
    H: EventHandler,
    F: FnOnce(&SdkConfig) -> H,
{
    crate::metrics::init(
        &config.aws.environment,
        config.component,
        config.lambda_mode,
    );
    let aws = &config.aws.function();
    if config.lambda_mode {
        // Boxed: the Lambda future is large and nests inside main's.
        Box::pin(serve_lambda(make_handler, aws, config)).await
    } else {
        let (runner, sqs, resolved) = runner_for(make_handler(aws), aws, config).await?;
        Poller::new(sqs, resolved, &config.aws.region, config.worker_timeout)
            .run(&runner, crate::shutdown::signal())
            .await;
        Ok(())
    }
}

/// Lambda mode: the clients are built and the queue looked up with the first
/// batch, not in the init phase (see [`AwsSettings::function`]). A failed
/// lookup fails that invocation, so SQS delivers the batch again.
async fn serve_lambda<H, F>(
    make_handler: F,
    aws: &SdkConfig,
    config: &WorkerSettings,
) -> Result<(), ServeError>
where
    H: EventHandler,
    F: FnOnce(&SdkConfig) -> H,
{
    let handler = LazyLock::new(move || make_handler(aws));
    let worker = tokio::sync::OnceCell::new();
    let (handler, worker) = (&handler, &worker);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        // The costly part of a client, its endpoint rules, is parsed once.
        let (runner, sqs, queue) = worker
            .get_or_try_init(|| runner_for(&**handler, aws, config))
            .await
            .inspect_err(|error| {
                tracing::error!(
                    error = %ports::error_chain(error),
                    "could not look the queue up; SQS will deliver the batch again"
                );
            })?;
        let deadline = crate::invocation_deadline(&event.context);
        let report = runner.run(event.payload, deadline).await;
        super::delay_retries(sqs, &queue.url, &report.retry_after).await;
        crate::metrics::flush();
        crate::telemetry::invocation_done();
        Ok::<_, ServeError>(report.response())
    }))
    .await
    .map_err(ServeError::Lambda)
}

/// The runner on the resolved queue, with its client and the queue.
type Worker<H> = (
    BatchRunner<H, SqsDeadLetters>,
    aws_sdk_sqs::Client,
    SqsQueue,
);

async fn runner_for<H: EventHandler>(
    handler: H,
    aws: &SdkConfig,
    config: &WorkerSettings,
) -> Result<Worker<H>, ServeError> {
    let sqs = clients::sqs(aws, CallBudget::DATA);
    let resolved = resolve(&sqs, config).await?;
    tracing::info!(
        queue = %resolved.url,
        deadLetterQueue = %resolved.dead_letter.url,
        maxReceiveCount = resolved.max_receive_count,
        lambda = config.lambda_mode,
        "{} started",
        config.component
    );
    let runner = BatchRunner::new(
        handler,
        SqsDeadLetters::new(sqs.clone(), &resolved.dead_letter.url),
        RunnerSettings {
            component: config.component.to_owned(),
            source_queue: resolved.name.clone(),
            max_receive_count: resolved.max_receive_count,
            concurrency: CONCURRENCY,
            backoff: config.backoff,
        },
    );
    Ok((runner, sqs, resolved))
}

/// Looks the queue up. A failure that may pass is retried with backoff in
/// local mode, where no one restarts a worker that gave up.
async fn resolve(
    sqs: &aws_sdk_sqs::Client,
    config: &WorkerSettings,
) -> Result<SqsQueue, ServeError> {
    let mut backoff = Duration::from_millis(500);
    let source = loop {
        let (queue, dlq) = (&config.queue, &config.fallback_dlq);
        let source = match SqsQueue::resolve(sqs, queue, dlq, config.max_receive_count).await {
            Ok(resolved) => return Ok(resolved),
            Err(source) if source.transient && !config.lambda_mode => source,
            Err(source) => break source,
        };
        tracing::warn!(
            queue = %config.queue,
            error = %ports::error_chain(&source),
            retryIn = ?backoff,
            "could not resolve the queue yet"
        );
        tokio::select! {
            () = crate::shutdown::signal() => break source,
            () = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(Duration::from_secs(10));
    };
    Err(ServeError::Queue {
        queue: config.queue.clone(),
        source,
    })
}
