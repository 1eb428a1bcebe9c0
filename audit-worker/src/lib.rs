//! audit-worker: one `<env>-AuditLogs` record per `ORDER_CREATED` event.
//!
//! # Layout
//!
//! - [`audit_record`]: the record an event becomes; [`record_audit`]: the handler.

pub mod audit_record;
pub mod record_audit;
pub mod settings;

pub use record_audit::RecordAudit;
pub use settings::Settings;

/// The name in logs and on dead letters.
pub const COMPONENT: &str = "audit-worker";
