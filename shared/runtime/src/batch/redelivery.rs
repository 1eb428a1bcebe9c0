//! The backoff, applied: a record to retry is hidden for its delay
//! (`ChangeMessageVisibilityBatch`) before the batch answers, the pattern AWS
//! documents for backoff with SQS event sources.

use aws_sdk_sqs::types::{BatchResultErrorEntry, ChangeMessageVisibilityBatchRequestEntry};
use aws_sdk_sqs::Client;

use super::runner::RetryAfter;
use adapters::sdk_error::backend_error;
use ports::{error_chain, BackendError};

/// SQS's largest batch.
const MAX_BATCH: usize = 10;

pub async fn delay_retries(client: &Client, queue_url: &str, retries: &[RetryAfter]) {
    let entries = retries.iter().map(|retry| {
        // Whole seconds, as SQS takes them (the cast saturates); at least one.
        let seconds = (retry.delay.as_secs_f64().round() as i32).max(1);
        (retry.receipt_handle.as_str(), seconds)
    });
    change_visibility(client, queue_url, entries).await;
}

/// Sets each message's visibility timeout (`receipt handle, seconds`), ten per call.
/// A failure is only logged: the handler's claim covers a message back too soon.
pub async fn change_visibility<'a>(
    client: &Client,
    queue_url: &str,
    entries: impl IntoIterator<Item = (&'a str, i32)>,
) {
    let entries: Vec<_> = entries.into_iter().collect();
    for chunk in entries.chunks(MAX_BATCH) {
        let batch: Vec<_> = chunk
            .iter()
            .enumerate()
            .filter_map(|(index, (receipt_handle, seconds))| {
                ChangeMessageVisibilityBatchRequestEntry::builder()
                    .id(index.to_string())
                    .receipt_handle(*receipt_handle)
                    .visibility_timeout(*seconds)
                    .build()
                    .ok()
            })
            .collect();
        let result = client
            .change_message_visibility_batch()
            .queue_url(queue_url)
            .set_entries(Some(batch))
            .send()
            .await
            .map_err(|e| backend_error("SQS.ChangeMessageVisibilityBatch", e));
        log_undone(
            result.as_ref().map(|output| output.failed()),
            "could not change a message's visibility",
            "could not change the visibility of messages",
        );
    }
}

/// Logs `entry_failed` for each entry an SQS batch call failed, or `call_failed` once.
pub(super) fn log_undone(
    result: Result<&[BatchResultErrorEntry], &BackendError>,
    entry_failed: &str,
    call_failed: &str,
) {
    match result {
        Ok(failed) => {
            for failure in failed {
                tracing::warn!(
                    entry = failure.id(),
                    code = failure.code(),
                    "{entry_failed}"
                );
            }
        }
        Err(error) => tracing::warn!(error = %error_chain(error), "{call_failed}"),
    }
}
