//! `items`: an array of 1–50 objects, each becoming an [`OrderLine`] with its
//! subtotal computed (and compared with the client's, if it sent one).

use rust_decimal::Decimal;
use serde::de::{MapAccess, SeqAccess};

use super::super::{Money, OrderLine, Quantity};
use super::errors::{Expected, Path, Violations};
use super::keys::{report_repeated, Key, Seen, Skip};
use super::value::{Literal, Reading, Shape, Slot, Text};
use super::{number, text};

const MAX_ITEMS: usize = 50;

/// The shape of `items`.
#[derive(Debug)]
pub(super) struct ItemList;

/// The items as read: the valid lines, and what the total needs.
#[derive(Debug, Default)]
pub(super) struct Items {
    lines: Vec<OrderLine>,
    count: usize,
    /// How many items have a subtotal (a valid quantity and price), and their sum.
    priced: usize,
    sum: Decimal,
}

impl Items {
    /// The sum of the subtotals, if every item has one.
    pub(super) fn total(&self) -> Option<Money> {
        (self.priced == self.count).then(|| Money::from_decimal(self.sum))
    }

    pub(super) fn into_lines(self) -> Vec<OrderLine> {
        self.lines
    }
}

impl<'de> Shape<'de> for ItemList {
    type Value = Items;
    const EXPECTED: Expected = Expected::Items;

    fn list<A: SeqAccess<'de>>(
        self,
        mut seq: A,
        at: &Path<'_>,
        v: &mut Violations,
    ) -> Result<Slot<Items>, A::Error> {
        let mut items = Items::default();
        loop {
            let here = at.index(items.count);
            let Some(item) = seq.next_element_seed(Reading::new(Item, &here, v))? else {
                break;
            };
            items.count += 1;
            if let Slot::Valid(Line { subtotal, line }) = item {
                if let Some(subtotal) = subtotal {
                    items.priced += 1;
                    items.sum += subtotal.amount();
                }
                items.lines.extend(line);
            }
        }
        if !(1..=MAX_ITEMS).contains(&items.count) {
            v.push(at, &format!("must contain between 1 and {MAX_ITEMS} items"));
        }
        Ok(Slot::Valid(items))
    }
}

/// The shape of one element of `items`.
#[derive(Debug)]
struct Item;

/// One item as read: its subtotal if its quantity and price are valid, its
/// line if every field is.
#[derive(Debug)]
struct Line {
    subtotal: Option<Money>,
    line: Option<OrderLine>,
}

/// The fields of an item, numbered for [`Seen`].
#[derive(Debug, Clone, Copy)]
enum Field {
    ProductId,
    ProductName,
    Quantity,
    Price,
    Subtotal,
}

impl Field {
    fn named(key: &str) -> Option<Field> {
        Some(match key {
            "productId" => Field::ProductId,
            "productName" => Field::ProductName,
            "quantity" => Field::Quantity,
            "price" => Field::Price,
            "subtotal" => Field::Subtotal,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Field::ProductId => "productId",
            Field::ProductName => "productName",
            Field::Quantity => "quantity",
            Field::Price => "price",
            Field::Subtotal => "subtotal",
        }
    }
}

impl<'de> Shape<'de> for Item {
    type Value = Line;
    const EXPECTED: Expected = Expected::Object;

    fn object<A: MapAccess<'de>>(
        self,
        mut map: A,
        at: &Path<'_>,
        v: &mut Violations,
    ) -> Result<Slot<Line>, A::Error> {
        let mut fields = Fields::default();
        let mut seen = Seen::default();
        let mut unknown = Vec::new();
        while let Some(key) = map.next_key_seed(Key)? {
            let Some(field) = Field::named(&key) else {
                map.next_value_seed(Skip::new(&at.key(&key), v))?;
                unknown.push(key);
                continue;
            };
            let here = at.key(field.name());
            if !seen.first_time(field as u8) {
                v.repeated(&here);
                map.next_value_seed(Skip::new(&here, v))?;
                continue;
            }
            match field {
                Field::ProductId => {
                    fields.product_id = map.next_value_seed(Reading::new(Text, &here, v))?.check(
                        &here,
                        v,
                        text::product_id,
                    );
                }
                Field::ProductName => {
                    fields.product_name = map.next_value_seed(Reading::new(Text, &here, v))?.check(
                        &here,
                        v,
                        text::product_name,
                    );
                }
                Field::Quantity => {
                    fields.quantity = map
                        .next_value_seed(Literal::new(Expected::Integer, &here, v))?
                        .check(&here, v, number::quantity);
                }
                Field::Price => {
                    fields.price = map
                        .next_value_seed(Literal::new(Expected::Number, &here, v))?
                        .check(&here, v, number::price);
                }
                Field::Subtotal => {
                    fields.subtotal = map
                        .next_value_seed(Literal::new(Expected::Number, &here, v))?
                        .check(&here, v, number::sent_amount);
                }
            }
        }
        report_repeated(unknown, at, v);
        Ok(Slot::Valid(fields.finish(at, v)))
    }
}

/// An item's fields as read.
#[derive(Debug, Default)]
struct Fields {
    product_id: Slot<String>,
    product_name: Slot<String>,
    quantity: Slot<Quantity>,
    price: Slot<Money>,
    subtotal: Slot<Decimal>,
}

impl Fields {
    fn finish(self, at: &Path<'_>, v: &mut Violations) -> Line {
        let product_id = self.product_id.required(&at.key("productId"), v);
        let quantity = self.quantity.required(&at.key("quantity"), v);
        let price = self.price.required(&at.key("price"), v);
        let line = match (product_id, self.product_name.optional(), quantity, price) {
            (Some(id), Some(name), Some(quantity), Some(price)) => {
                Some(OrderLine::new(id, name, quantity, price))
            }
            _ => None,
        };
        // The line has computed the subtotal already; only an item with a bad
        // product id or name but a good quantity and price needs it apart.
        let subtotal = match (&line, quantity, price) {
            (Some(line), _, _) => Some(line.subtotal),
            (None, Some(quantity), Some(price)) => Some(price.times(quantity)),
            _ => None,
        };
        if let (Slot::Valid(sent), Some(computed)) = (self.subtotal, subtotal) {
            if sent != computed.amount() {
                let message = format!(
                    "must equal quantity × price ({})",
                    computed.to_display_string()
                );
                v.push(&at.key("subtotal"), &message);
            }
        }
        Line { subtotal, line }
    }
}
