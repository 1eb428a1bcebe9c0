//! Adapters: the ports implemented against AWS. Conversion between domain
//! types and AWS shapes lives here and nowhere else.

mod dynamodb_audit_log;
mod dynamodb_idempotency;
mod dynamodb_orders;
mod dynamodb_recipient_limit;
mod redrive_policy;
pub mod sdk_error;
mod ses_mailer;
mod sns_publisher;
mod sqs_dead_letters;
pub mod sqs_move_task;
mod sqs_queue;
mod sqs_queues;

/// The attributes a dead letter carries: the port names them, SQS carries them.
pub use crate::ports::failure_attributes;
pub use dynamodb_audit_log::{AuditItem, DynamoDbAuditLog, OrderDetailsItem, ORDER_ID_INDEX};
pub use dynamodb_idempotency::DynamoDbIdempotencyStore;
pub use dynamodb_orders::{DynamoDbOrderRepository, LineItem, OrderItem, UNPUBLISHED_INDEX};
pub use dynamodb_recipient_limit::{limit_key, DynamoDbRecipientLimit};
pub use redrive_policy::{RedrivePolicy, RedrivePolicyError};
pub use ses_mailer::SesMailer;
pub use sns_publisher::SnsEventPublisher;
pub use sqs_dead_letters::SqsDeadLetters;
pub use sqs_queue::{QueueAddress, SqsQueue};
pub use sqs_queues::{QueueDepth, SqsQueues};
