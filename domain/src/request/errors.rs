//! What the parser reports: a [`FieldError`] per violation, at its JSON path,
//! or an [`OrderRejection`] for the body as a whole.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One violation: where (a JSON path) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"field": "items[0].quantity", "message": "quantity must be between 1 and 1000"})))]
pub struct FieldError {
    /// The JSON path of the offending value, e.g. `items[0].price`.
    pub field: String,
    /// What is wrong, naming the field: ready to show to the customer.
    pub message: String,
}

impl FieldError {
    /// `message` is the rule; the stored one names the field too ("quantity is required").
    fn new(field: String, message: &str) -> Self {
        let name = field.rsplit('.').next().unwrap_or(&field);
        FieldError {
            message: format!("{name} {message}"),
            field,
        }
    }
}

/// Why a body is not an order. Both are the client's to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderRejection {
    /// Not JSON at all, or not a JSON object.
    #[error("malformed JSON: {0}")]
    MalformedJson(String),
    /// JSON, but not a valid order; every violation found.
    #[error("{} validation error(s)", .0.len())]
    Invalid(Vec<FieldError>),
}

/// Where a value sits in the body: `items[3].price`. Built on the stack and
/// written out only for a violation: a valid order costs no path strings.
#[derive(Debug, Clone, Copy)]
pub(super) enum Path<'a> {
    Root,
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl Path<'_> {
    pub(super) fn key<'a>(&'a self, key: &'a str) -> Path<'a> {
        Path::Key(self, key)
    }

    pub(super) fn index(&self, index: usize) -> Path<'_> {
        Path::Index(self, index)
    }
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root => Ok(()),
            Path::Key(Path::Root, key) => f.write_str(key),
            Path::Key(parent, key) => write!(f, "{parent}.{key}"),
            Path::Index(parent, index) => write!(f, "{parent}[{index}]"),
        }
    }
}

#[derive(Debug, Default)]
pub(super) struct Violations(Vec<FieldError>);

impl Violations {
    pub(super) fn push(&mut self, at: &Path<'_>, message: &str) {
        self.0.push(FieldError::new(at.to_string(), message));
    }

    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Top-level fields first, then items by index, each by name (stably).
    pub(super) fn into_sorted(mut self) -> Vec<FieldError> {
        self.0
            .sort_by_cached_key(|e| (item_index(&e.field), e.field.clone()));
        self.0
    }
}

fn item_index(path: &str) -> Option<usize> {
    path.strip_prefix("items[")?.split_once(']')?.0.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_is_written_as_a_client_reads_it() {
        let items = Path::Root.key("items");
        let item = items.index(10);
        assert_eq!(item.key("price").to_string(), "items[10].price");
        assert_eq!(Path::Root.key("customerName").to_string(), "customerName");
    }

    #[test]
    fn violations_are_sorted_by_field_then_item_by_index() {
        let mut violations = Violations::default();
        for field in [
            "items[10].price",
            "totalAmount",
            "items[2].price",
            "customerName",
        ] {
            violations.push(&Path::Root.key(field), "is wrong");
        }
        let fields: Vec<_> = violations
            .into_sorted()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "customerName",
                "totalAmount",
                "items[2].price",
                "items[10].price"
            ]
        );
    }
}
