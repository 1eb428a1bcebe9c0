//! One place that decides whether an AWS SDK error is worth retrying.

use std::error::Error;
use std::fmt;

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};

use ports::{BackendError, Fault};

/// Codes that mean "slow down": the service is fine, we ask too often (SES
/// answers `Throttling` with HTTP 400 past the account's sending rate).
const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottled",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "KMSThrottlingException",
];

/// Other codes that mean "try again later", across the services we call.
const RETRYABLE_CODES: &[&str] = &[
    "TransactionInProgressException",
    "ServiceUnavailable",
    "InternalFailure",
    "InternalError",
];

/// Whether the service asked us to slow down (a throttling code or HTTP 429).
fn is_throttled<E: ProvideErrorMetadata>(error: &SdkError<E, HttpResponse>) -> bool {
    let too_many = matches!(error, SdkError::ServiceError(s) if s.raw().status().as_u16() == 429);
    too_many || code_in(error, THROTTLING_CODES)
}

fn code_in<E: ProvideErrorMetadata>(error: &SdkError<E, HttpResponse>, codes: &[&str]) -> bool {
    error.code().is_some_and(|code| codes.contains(&code))
}

fn is_transient<E: ProvideErrorMetadata>(error: &SdkError<E, HttpResponse>) -> bool {
    match error {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(service) => {
            service.raw().status().is_server_error()
                || is_throttled(error)
                || code_in(error, RETRYABLE_CODES)
        }
        // ConstructionFailure and future variants: our request is wrong, retrying won't fix it.
        _ => false,
    }
}

/// Wraps an SDK error, keeping it as the cause.
pub fn backend_error<E>(operation: &'static str, error: SdkError<E, HttpResponse>) -> BackendError
where
    E: ProvideErrorMetadata + Error + Send + Sync + 'static,
{
    let fault = fault(&error);
    BackendError::new(operation, is_transient(&error), DetailedSdkError(error)).with_fault(fault)
}

/// Codes that mean "no such table, queue or topic", across the services
/// (moto names SQS's by its query-protocol code, real SQS by its JSON one).
const NOT_FOUND_CODES: &[&str] = &[
    "ResourceNotFoundException",
    "QueueDoesNotExist",
    "AWS.SimpleQueueService.NonExistentQueue",
    "NotFound",
    "NotFoundException",
];

/// Nobody answered, we were throttled, the resource is missing, or anything else.
pub fn fault<E: ProvideErrorMetadata>(error: &SdkError<E, HttpResponse>) -> Fault {
    match error {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => Fault::Unreachable,
        _ if is_throttled(error) => Fault::Throttled,
        _ if code_in(error, NOT_FOUND_CODES) => Fault::NotFound,
        _ => Fault::Other,
    }
}

/// The SDK's `Display` is terse ("service error"); this shows the service's
/// code and message, or the transport's reason — what an operator needs.
#[derive(Debug)]
pub struct DetailedSdkError<E>(pub SdkError<E, HttpResponse>);

impl<E: ProvideErrorMetadata + Error + 'static> fmt::Display for DetailedSdkError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            // The service's message may name a customer's address (SES does).
            SdkError::ServiceError(service) => write!(
                f,
                "{}: {} (HTTP {})",
                service.err().code().unwrap_or("unknown error"),
                ports::redact::addresses(service.err().message().unwrap_or("no message")),
                service.raw().status().as_u16()
            ),
            other => write!(f, "{}", aws_sdk_dynamodb::error::DisplayErrorContext(other)),
        }
    }
}

impl<E: ProvideErrorMetadata + Error + 'static> Error for DetailedSdkError<E> {}
