//! What the endpoint holds of the template's resources ([`Observed`], read
//! by [`crate::verify::observe`]), and a disagreement with the template
//! ([`Difference`], found by [`crate::compare::compare`]).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::spec::{IndexSpec, KeySchema};

/// Attributes the local AWS accepts but never reports back (moto 5.2 drops
/// `RedriveAllowPolicy`). When an endpoint does not report one at all it
/// cannot be checked, which [`unchecked`] says; when it does, it is compared.
pub const UNREPORTED_LOCALLY: &[&str] = &["RedriveAllowPolicy"];
/// Topic attributes moto accepts and never reports (X-Ray tracing).
pub const UNREPORTED_TOPIC_ATTRIBUTES: &[&str] = &["TracingConfig"];

/// One disagreement between the template and what exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// `queue local-OrderEmailQueue`, `table local-Orders`, …
    pub resource: String,
    /// `RedrivePolicy.maxReceiveCount`, `GlobalSecondaryIndexes.OrderIdIndex`, …
    pub property: String,
    pub expected: String,
    pub found: String,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}: the template says {}, found {}",
            self.resource, self.property, self.expected, self.found
        )
    }
}

/// What the endpoint holds of the template's resources. Absent means missing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Observed {
    /// Table name → its description.
    pub tables: BTreeMap<String, ObservedTable>,
    /// Topic ARN → its attributes.
    pub topics: BTreeMap<String, BTreeMap<String, String>>,
    /// Queue name → every attribute `GetQueueAttributes(All)` reports.
    pub queues: BTreeMap<String, BTreeMap<String, String>>,
    /// Every subscription of the template's topics.
    pub subscriptions: Vec<ObservedSubscription>,
    /// SES identities whose verification succeeded.
    pub verified_identities: BTreeSet<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedTable {
    pub billing_mode: String,
    pub attributes: BTreeMap<String, String>,
    pub key: KeySchema,
    pub global_indexes: Vec<IndexSpec>,
    pub ttl_attribute: Option<String>,
    pub point_in_time_recovery: bool,
    pub sse: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedSubscription {
    pub arn: String,
    pub topic_arn: String,
    pub protocol: String,
    pub endpoint: String,
    pub attributes: BTreeMap<String, String>,
}
