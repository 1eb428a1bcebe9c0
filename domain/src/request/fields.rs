//! The contract of `POST /order` (DESIGN.md, "Contracts"), field by field:
//! one line per field, naming its JSON type and its rule.

use rust_decimal::Decimal;

use super::super::{CustomerEmail, CustomerName, Money, NewOrder, OrderLine};
use super::errors::Path;
use super::json::JsonType::{Integer, Number, Text};
use super::json::{Field, Object, Parser};
use super::{number, text};

const MAX_ITEMS: usize = 50;

impl Parser {
    /// The order, if every field is valid; every violation is in `self`.
    pub(super) fn order(&mut self, mut body: Object<'_>) -> Option<NewOrder> {
        let id = self.read(body.optional("customerId"), Text, text::customer_id);
        let name = self.read(body.required("customerName"), Text, CustomerName::parse);
        let email = self.read(body.required("customerEmail"), Text, CustomerEmail::parse);
        let items = self.items(body.required("items"));
        let total = self.read(body.optional("totalAmount"), Number, number::sent_amount);
        self.end_object(body);
        if let Some((_, Some(computed))) = items {
            let at = Path::Root.key("totalAmount");
            self.compare(total, computed, &at, "the sum of the item subtotals");
        }
        Some(NewOrder {
            customer_id: id,
            customer_name: name?,
            customer_email: email?,
            items: items?.0,
        })
    }

    /// The valid lines, and the subtotals' sum if every item has one.
    fn items(&mut self, field: Field<'_>) -> Option<(Vec<OrderLine>, Option<Money>)> {
        let items = self.objects(&field, "an array of items")?;
        if !(1..=MAX_ITEMS).contains(&items.len()) {
            let message = format!("must contain between 1 and {MAX_ITEMS} items");
            self.violations.push(&field.at, &message);
        }
        let mut lines = Vec::with_capacity(items.len());
        let mut total = Some(Decimal::ZERO);
        for item in items {
            match item.and_then(|item| self.item(item)) {
                Some((subtotal, line)) => {
                    total = total.map(|sum| sum + subtotal.amount());
                    lines.extend(line);
                }
                None => total = None,
            }
        }
        Some((lines, total.map(Money::from_decimal)))
    }

    /// One item's subtotal if its quantity and price are valid, and its line if all is.
    fn item(&mut self, mut item: Object<'_>) -> Option<(Money, Option<OrderLine>)> {
        let id = self.read(item.required("productId"), Text, text::product_id);
        let name = self.read(item.optional("productName"), Text, text::product_name);
        let quantity = self.read(item.required("quantity"), Integer, number::quantity);
        let price = self.read(item.required("price"), Number, number::price);
        let sent = self.read(item.optional("subtotal"), Number, number::sent_amount);
        let at = item.at;
        self.end_object(item);
        let (quantity, price) = quantity.zip(price)?;
        let subtotal = price.times(quantity);
        self.compare(sent, subtotal, &at.key("subtotal"), "quantity × price");
        let line = id.map(|id| OrderLine {
            product_id: id,
            product_name: name,
            quantity,
            price,
            subtotal,
        });
        Some((subtotal, line))
    }

    /// A subtotal or total the client sent must be the one we computed.
    fn compare(&mut self, sent: Option<Decimal>, computed: Money, at: &Path<'_>, rule: &str) {
        if sent.is_some_and(|sent| sent != computed.amount()) {
            let message = format!("must equal {rule} ({})", computed.to_display_string());
            self.violations.push(at, &message);
        }
    }
}
