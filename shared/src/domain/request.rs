//! The edge: raw `POST /order` JSON becomes a [`NewOrder`] or a list of every
//! violation, each at its JSON path (`items[3].price`).
//!
//! Shape rules (required, lengths, email, ranges, nesting) are declared with the
//! `validator` crate on [`OrderRequest`]; rules that compare fields (subtotal,
//! total) run after it, on the fields that passed.

use std::borrow::Cow;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use validator::{Validate, ValidationError, ValidationErrors, ValidationErrorsKind};

use super::{CustomerEmail, CustomerName, Money, NewOrder, OrderLine, Quantity};

/// One violation: where (a JSON path) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    /// `message` is the rule ("is required"); the stored message names the
    /// field too ("quantity is required"), so an app can show it as it is.
    fn new(field: impl Into<String>, message: impl AsRef<str>) -> Self {
        let field = field.into();
        let name = field.rsplit('.').next().unwrap_or(&field);
        FieldError {
            message: format!("{name} {}", message.as_ref()),
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

/// The body as sent: every field optional so that a missing one is reported
/// as missing, rather than failing the whole parse.
#[derive(Debug, Clone, Default, Deserialize, Serialize, Validate)]
#[serde(rename_all = "camelCase")]
pub struct OrderRequest {
    #[validate(length(max = 100, message = "must be at most 100 characters"))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,

    #[validate(
        required(message = "is required"),
        custom(function = "check_customer_name")
    )]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_name: Option<String>,

    #[validate(
        required(message = "is required"),
        custom(function = "check_customer_email")
    )]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_email: Option<String>,

    #[validate(
        required(message = "is required"),
        length(min = 1, max = 50, message = "must contain between 1 and 50 items"),
        nested
    )]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<ItemRequest>>,

    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_amount: Option<Decimal>,
}

/// One item as sent.
#[derive(Debug, Clone, Default, Deserialize, Serialize, Validate)]
#[serde(rename_all = "camelCase")]
pub struct ItemRequest {
    #[validate(
        required(message = "is required"),
        custom(function = "check_product_id")
    )]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_id: Option<String>,

    #[validate(length(max = 200, message = "must be at most 200 characters"))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_name: Option<String>,

    #[validate(
        required(message = "is required"),
        range(min = 1, max = 1000, message = "must be between 1 and 1000")
    )]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<i64>,

    #[validate(required(message = "is required"), custom(function = "check_price"))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<Decimal>,

    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subtotal: Option<Decimal>,
}

fn rule(message: String) -> ValidationError {
    ValidationError::new("invalid").with_message(Cow::Owned(message))
}

fn check_customer_name(name: &str) -> Result<(), ValidationError> {
    CustomerName::parse(name).map(drop).map_err(rule)
}

fn check_customer_email(email: &str) -> Result<(), ValidationError> {
    CustomerEmail::parse(email).map(drop).map_err(rule)
}

fn check_product_id(id: &str) -> Result<(), ValidationError> {
    if id.trim().is_empty() {
        return Err(rule("must not be empty".to_owned()));
    }
    if id.chars().count() > 100 {
        return Err(rule("must be at most 100 characters".to_owned()));
    }
    Ok(())
}

fn check_price(price: &Decimal) -> Result<(), ValidationError> {
    Money::price(*price)
        .map(drop)
        .map_err(|e| rule(e.to_string()))
}

/// Parses a request body into a valid order, or says everything that is wrong.
pub fn parse_order(body: &[u8]) -> Result<NewOrder, OrderRejection> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| OrderRejection::MalformedJson(e.to_string()))?;
    if !value.is_object() {
        return Err(OrderRejection::MalformedJson(
            "the body must be a JSON object".to_owned(),
        ));
    }
    // A value of the wrong type (a string quantity, a numeric name) is named at its path.
    let request: OrderRequest = serde_path_to_error::deserialize(value).map_err(|e| {
        let field = e.path().to_string();
        let message = type_error_message(&field);
        OrderRejection::Invalid(vec![FieldError::new(field, message)])
    })?;
    request.into_new_order()
}

/// What a field should have been, in the client's terms rather than Rust's.
fn type_error_message(field: &str) -> String {
    let name = field.rsplit('.').next().unwrap_or(field);
    let expected = match name {
        _ if name.ends_with(']') => "an object",
        "quantity" => "an integer",
        "price" | "subtotal" | "totalAmount" => "a number",
        "items" => "an array of items",
        _ => "a string",
    };
    format!("has the wrong type; expected {expected}")
}

impl OrderRequest {
    /// Every rule at once; `Ok` only if the order is valid in every field.
    pub fn into_new_order(self) -> Result<NewOrder, OrderRejection> {
        let mut errors = match self.validate() {
            Ok(()) => Vec::new(),
            Err(e) => flatten(&e),
        };
        errors.extend(self.cross_field_errors());
        if !errors.is_empty() {
            errors.sort_by_key(|e| path_key(&e.field));
            return Err(OrderRejection::Invalid(errors));
        }
        self.build().map_err(|e| OrderRejection::Invalid(vec![e]))
    }

    /// Subtotals and the total, where the client sent them and the fields
    /// they depend on are valid.
    fn cross_field_errors(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let Some(items) = &self.items else {
            return errors;
        };
        let mut subtotals = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let computed = match (
                item.quantity.map(Quantity::new),
                item.price.map(Money::price),
            ) {
                (Some(Ok(quantity)), Some(Ok(price))) => price.times(quantity),
                _ => continue,
            };
            subtotals.push(computed);
            if let Some(sent) = item.subtotal {
                if sent != computed.amount() {
                    errors.push(FieldError::new(
                        format!("items[{index}].subtotal"),
                        format!(
                            "must equal quantity × price ({})",
                            computed.to_display_string()
                        ),
                    ));
                }
            }
        }
        if let Some(sent) = self.total_amount {
            if subtotals.len() == items.len() {
                let computed: Money = subtotals.into_iter().sum();
                if sent != computed.amount() {
                    errors.push(FieldError::new(
                        "totalAmount",
                        format!(
                            "must equal the sum of the item subtotals ({})",
                            computed.to_display_string()
                        ),
                    ));
                }
            }
        }
        errors
    }

    /// Only called once every rule passed; a failure here is a rule we forgot.
    fn build(self) -> Result<NewOrder, FieldError> {
        let missing = |field: &str| FieldError::new(field, "is required");
        let customer_name = CustomerName::parse(self.customer_name.as_deref().unwrap_or_default())
            .map_err(|m| FieldError::new("customerName", m))?;
        let customer_email =
            CustomerEmail::parse(self.customer_email.as_deref().unwrap_or_default())
                .map_err(|m| FieldError::new("customerEmail", m))?;
        let mut items = Vec::new();
        for (index, item) in self.items.unwrap_or_default().into_iter().enumerate() {
            let at = |field: &str| format!("items[{index}].{field}");
            let quantity = Quantity::new(item.quantity.ok_or_else(|| missing(&at("quantity")))?)
                .map_err(|m| FieldError::new(at("quantity"), m))?;
            let price = Money::price(item.price.ok_or_else(|| missing(&at("price")))?)
                .map_err(|e| FieldError::new(at("price"), e.to_string()))?;
            let product_id = item.product_id.ok_or_else(|| missing(&at("productId")))?;
            items.push(OrderLine::new(
                product_id.trim().to_owned(),
                item.product_name,
                quantity,
                price,
            ));
        }
        Ok(NewOrder {
            customer_id: self.customer_id,
            customer_name,
            customer_email,
            items,
        })
    }
}

/// validator's nested errors → `[{field: "items[0].quantity", message}]`.
fn flatten(errors: &ValidationErrors) -> Vec<FieldError> {
    let mut out = Vec::new();
    flatten_into(errors, "", &mut out);
    out
}

fn flatten_into(errors: &ValidationErrors, prefix: &str, out: &mut Vec<FieldError>) {
    for (field, kind) in errors.errors() {
        let name = camel_case(field);
        let path = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        match kind {
            ValidationErrorsKind::Field(list) => out.extend(list.iter().map(|e| {
                let message = e
                    .message
                    .as_deref()
                    .map(str::to_owned)
                    .unwrap_or_else(|| format!("is invalid ({})", e.code));
                FieldError::new(path.clone(), message)
            })),
            ValidationErrorsKind::Struct(inner) => flatten_into(inner, &path, out),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    flatten_into(inner, &format!("{path}[{index}]"), out);
                }
            }
        }
    }
}

/// Rust field names are snake_case; the contract's are camelCase.
fn camel_case(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut upper = false;
    for c in field.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Orders paths as a reader expects: top-level fields, then items by index.
fn path_key(path: &str) -> (Option<usize>, String) {
    let index = path
        .strip_prefix("items[")
        .and_then(|rest| rest.split(']').next())
        .and_then(|n| n.parse().ok());
    (index, path.to_owned())
}
