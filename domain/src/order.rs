//! The order as the business knows it, once its input has been parsed.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{CustomerEmail, CustomerName, Money};

/// An order's id: random, or named by the Idempotency-Key; no `Default`, never made up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OrderId(Uuid);

impl OrderId {
    pub fn random() -> OrderId {
        OrderId(Uuid::new_v4())
    }

    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl From<Uuid> for OrderId {
    fn from(uuid: Uuid) -> OrderId {
        OrderId(uuid)
    }
}

impl FromStr for OrderId {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<OrderId, uuid::Error> {
        Uuid::parse_str(s).map(OrderId)
    }
}

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0.hyphenated(), f)
    }
}

/// How many of a product: 1–1000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Quantity(u32);

impl Quantity {
    pub fn new(value: i64) -> Result<Quantity, String> {
        if (1..=1000).contains(&value) {
            Ok(Quantity(value as u32))
        } else {
            Err("must be between 1 and 1000".to_owned())
        }
    }

    pub fn get(&self) -> u32 {
        self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderLine {
    pub product_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_name: Option<String>,
    pub quantity: Quantity,
    pub price: Money,
    pub subtotal: Money,
}

/// A valid order as the client sent it: nothing here can be wrong any more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrder {
    pub customer_id: Option<String>,
    pub customer_name: CustomerName,
    pub customer_email: CustomerEmail,
    pub items: Vec<OrderLine>,
}

impl NewOrder {
    pub fn total(&self) -> Money {
        self.items.iter().map(|line| line.subtotal).sum()
    }

    /// The accepted order: an id, a total and the time, to the millisecond.
    pub fn accept(self, order_id: OrderId, now: DateTime<Utc>) -> Order {
        let total_amount = self.total();
        Order {
            order_id,
            customer_id: self.customer_id,
            customer_name: self.customer_name,
            customer_email: self.customer_email,
            items: self.items,
            total_amount,
            created_at: now.trunc_subsecs(3),
        }
    }
}

/// An accepted order, as stored and as carried by its event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    pub order_id: OrderId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    pub customer_name: CustomerName,
    pub customer_email: CustomerEmail,
    pub items: Vec<OrderLine>,
    pub total_amount: Money,
    #[serde(with = "iso8601")]
    pub created_at: DateTime<Utc>,
}

/// ISO 8601 in UTC with milliseconds and a `Z`: `2024-01-15T10:30:00.123Z`.
pub mod iso8601 {
    use chrono::{DateTime, SecondsFormat, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn format(at: &DateTime<Utc>) -> String {
        at.to_rfc3339_opts(SecondsFormat::Millis, true)
    }

    pub fn serialize<S: Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format(at))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<DateTime<Utc>, D::Error> {
        parse(&String::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }

    fn parse(text: &str) -> chrono::ParseResult<DateTime<Utc>> {
        DateTime::parse_from_rfc3339(text).map(|at| at.with_timezone(&Utc))
    }

    /// The same for an optional instant (absent or ISO 8601 text).
    pub mod optional {
        use chrono::{DateTime, Utc};
        use serde::{Deserialize, Deserializer, Serialize, Serializer};

        pub fn serialize<S: Serializer>(
            at: &Option<DateTime<Utc>>,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            at.as_ref().map(super::format).serialize(serializer)
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(
            deserializer: D,
        ) -> Result<Option<DateTime<Utc>>, D::Error> {
            let text = Option::<String>::deserialize(deserializer)?;
            let at = text.as_deref().map(super::parse).transpose();
            at.map_err(serde::de::Error::custom)
        }
    }
}
