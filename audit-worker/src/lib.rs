//! audit-worker: one `<env>-AuditLogs` record per `ORDER_CREATED` event.
//!
//! # Layout
//!
//! - [`audit_record`]: the record an event becomes, keyed deterministically
//!   by the event (UUID v5 of the event id, the order's creation time).
//! - [`record_audit`]: the handler the shared batch runner calls per event —
//!   a conditional write; a redelivery finds its record and succeeds.
//! - [`settings`]: what the worker reads of the environment, and nothing else.
//!
//! `main.rs` only wires: settings, the DynamoDB client, then `runtime::batch::serve`.

pub mod audit_record;
pub mod record_audit;
pub mod settings;

pub use audit_record::{audit_id, audit_record, AUDIT_NAMESPACE};
pub use record_audit::RecordAudit;
pub use settings::Settings;

/// The name in logs and on dead letters.
pub const COMPONENT: &str = "audit-worker";
