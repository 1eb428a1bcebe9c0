//! The adapters against the real SDK clients with mocked responses
//! (aws-smithy-mocks): the requests they make, and what they make of each
//! answer, modeled errors included.

mod idempotency;
mod orders;
