//! The top level of the body: the customer, the items and the total.

use std::fmt;

use rust_decimal::Decimal;
use serde::de::{DeserializeSeed, Deserializer, MapAccess, Visitor};

use super::super::{CustomerEmail, CustomerName, NewOrder};
use super::errors::{Expected, Path, Violations};
use super::items::{ItemList, Items};
use super::keys::{report_repeated, Key, Seen, Skip};
use super::value::{Literal, Reading, Slot, Text};
use super::{number, text};

static ROOT: Path<'static> = Path::Root;

/// Reads the whole body: `Some` order when every field was readable as its
/// type (the caller still checks `violations`), `None` otherwise. Anything
/// but a JSON object is an error of serde's data category.
#[derive(Debug)]
pub(super) struct Body<'v> {
    violations: &'v mut Violations,
}

impl<'v> Body<'v> {
    pub(super) fn new(violations: &'v mut Violations) -> Self {
        Body { violations }
    }
}

impl<'de> DeserializeSeed<'de> for Body<'_> {
    type Value = Option<NewOrder>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

/// The fields of the contract, numbered for [`Seen`].
#[derive(Debug, Clone, Copy)]
enum Field {
    CustomerId,
    CustomerName,
    CustomerEmail,
    Items,
    TotalAmount,
}

impl Field {
    fn named(key: &str) -> Option<Field> {
        Some(match key {
            "customerId" => Field::CustomerId,
            "customerName" => Field::CustomerName,
            "customerEmail" => Field::CustomerEmail,
            "items" => Field::Items,
            "totalAmount" => Field::TotalAmount,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Field::CustomerId => "customerId",
            Field::CustomerName => "customerName",
            Field::CustomerEmail => "customerEmail",
            Field::Items => "items",
            Field::TotalAmount => "totalAmount",
        }
    }
}

impl<'de> Visitor<'de> for Body<'_> {
    type Value = Option<NewOrder>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let v = self.violations;
        let mut fields = Fields::default();
        let mut seen = Seen::default();
        let mut unknown = Vec::new();
        while let Some(key) = map.next_key_seed(Key)? {
            let Some(field) = Field::named(&key) else {
                map.next_value_seed(Skip::new(&ROOT.key(&key), v))?;
                unknown.push(key);
                continue;
            };
            let at = ROOT.key(field.name());
            if !seen.first_time(field as u8) {
                v.repeated(&at);
                map.next_value_seed(Skip::new(&at, v))?;
                continue;
            }
            match field {
                Field::CustomerId => {
                    fields.customer_id = map.next_value_seed(Reading::new(Text, &at, v))?.check(
                        &at,
                        v,
                        text::customer_id,
                    );
                }
                Field::CustomerName => {
                    fields.customer_name =
                        map.next_value_seed(Reading::new(Text, &at, v))?
                            .check(&at, v, |name| CustomerName::parse(&name));
                }
                Field::CustomerEmail => {
                    fields.customer_email =
                        map.next_value_seed(Reading::new(Text, &at, v))?
                            .check(&at, v, |email| CustomerEmail::parse(&email));
                }
                Field::Items => {
                    fields.items = map.next_value_seed(Reading::new(ItemList, &at, v))?
                }
                Field::TotalAmount => {
                    fields.total_amount = map
                        .next_value_seed(Literal::new(Expected::Number, &at, v))?
                        .check(&at, v, number::sent_amount);
                }
            }
        }
        report_repeated(unknown, &ROOT, v);
        Ok(fields.finish(v))
    }
}

/// The top-level fields as read.
#[derive(Debug, Default)]
struct Fields {
    customer_id: Slot<String>,
    customer_name: Slot<CustomerName>,
    customer_email: Slot<CustomerEmail>,
    items: Slot<Items>,
    total_amount: Slot<Decimal>,
}

impl Fields {
    /// Reports what is missing and a total that does not add up; the order,
    /// if every field could be read.
    fn finish(self, v: &mut Violations) -> Option<NewOrder> {
        let customer_name = self.customer_name.required(&ROOT.key("customerName"), v);
        let customer_email = self.customer_email.required(&ROOT.key("customerEmail"), v);
        let items = self.items.required(&ROOT.key("items"), v);
        // The total can only be checked when every item has a subtotal.
        if let (Slot::Valid(sent), Some(computed)) =
            (self.total_amount, items.as_ref().and_then(Items::total))
        {
            if sent != computed.amount() {
                let message = format!(
                    "must equal the sum of the item subtotals ({})",
                    computed.to_display_string()
                );
                v.push(&ROOT.key("totalAmount"), &message);
            }
        }
        Some(NewOrder {
            customer_id: self.customer_id.optional()?,
            customer_name: customer_name?,
            customer_email: customer_email?,
            items: items?.into_lines(),
        })
    }
}
