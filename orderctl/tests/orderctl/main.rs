//! orderctl's moves and scans against its ports: the safe move over the
//! in-memory queues, and the redrive over the real SQS client with mocked
//! answers.

mod redrive_sqs;
mod safe_move;
