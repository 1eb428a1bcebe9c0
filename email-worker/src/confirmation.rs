use domain::{Order, OrderLine};
use ports::Email;

use crate::template::{escape_html, fill};

const HTML: &str = include_str!("../templates/confirmation.html");
const HTML_ITEM: &str = include_str!("../templates/item_row.html");
const TEXT: &str = include_str!("../templates/confirmation.txt");
const TEXT_ITEM: &str = include_str!("../templates/item_line.txt");

/// The confirmation email for `order`, addressed to its customer.
pub fn render(order: &Order) -> Email {
    Email {
        to: order.customer_email.clone(),
        // As the reference design has it.
        subject: format!("Order Confirmation - Order #{}", order.order_id),
        html: render_with(order, HTML, HTML_ITEM, escape_html),
        text: render_with(order, TEXT, TEXT_ITEM, str::to_owned),
    }
}

/// One body: the order's values through `escape`, the items as `item_template`s.
fn render_with(
    order: &Order,
    template: &str,
    item_template: &str,
    escape: fn(&str) -> String,
) -> String {
    let item = |line: &OrderLine| {
        // A line without a product name is shown by its product id.
        let product = line.product_name.as_deref().unwrap_or(&line.product_id);
        let values = [
            ("product", escape(product)),
            ("quantity", escape(&line.quantity.get().to_string())),
            ("price", escape(&line.price.to_display_string())),
            ("subtotal", escape(&line.subtotal.to_display_string())),
        ];
        fill(item_template, &values)
    };
    let created_at = order.created_at.format("%Y-%m-%d %H:%M UTC").to_string();
    let values = [
        ("order_id", escape(&order.order_id.to_string())),
        ("customer_name", escape(order.customer_name.as_str())),
        ("created_at", escape(&created_at)),
        ("total", escape(&order.total_amount.to_display_string())),
        ("items", order.items.iter().map(item).collect()),
    ];
    fill(template, &values)
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use domain::{parse_order, OrderId};

    use super::*;

    fn order(body: &str) -> Order {
        let at = Utc
            .with_ymd_and_hms(2024, 1, 15, 10, 30, 0)
            .single()
            .expect("a valid time");
        parse_order(body.as_bytes())
            .expect("a valid order")
            .accept(OrderId::random(), at)
    }

    fn three_items() -> Order {
        order(
            r#"{"customerName":"Ada <b>Lovelace</b> & Co","customerEmail":"ada@example.com","items":[
                {"productId":"p-1","productName":"Widget \"Deluxe\"","quantity":2,"price":59.9},
                {"productId":"p-2","productName":"<script>alert(1)</script>","quantity":3,"price":0.1},
                {"productId":"p-3","quantity":1,"price":1000}
            ]}"#,
        )
    }

    #[test]
    fn the_subject_names_the_order() {
        let order = three_items();
        assert_eq!(
            render(&order).subject,
            format!("Order Confirmation - Order #{}", order.order_id)
        );
    }

    #[test]
    fn the_html_lists_every_item_with_quantity_price_and_subtotal() {
        let order = three_items();
        let html = render(&order).html;

        for row in [
            ["Widget &quot;Deluxe&quot;", "2", "59.90", "119.80"],
            ["&lt;script&gt;alert(1)&lt;/script&gt;", "3", "0.10", "0.30"],
            ["p-3", "1", "1000.00", "1000.00"],
        ] {
            let cells: Vec<String> = row.iter().map(|cell| format!(">{cell}</td>")).collect();
            let mut at = 0;
            for cell in &cells {
                let found = html[at..]
                    .find(cell.as_str())
                    .unwrap_or_else(|| panic!("{cell} missing after byte {at} in\n{html}"));
                at += found + cell.len();
            }
        }
        assert!(html.contains("<strong>1120.10</strong>"), "{html}");
        assert!(html.contains(&order.order_id.to_string()));
        assert!(html.contains("2024-01-15 10:30 UTC"));
    }

    #[test]
    fn the_html_escapes_every_value() {
        let html = render(&three_items()).html;
        assert!(html.contains("Ada &lt;b&gt;Lovelace&lt;/b&gt; &amp; Co"));
        assert!(!html.contains("<script>"));
        assert!(!html.contains("<b>Lovelace"));
        assert!(
            !html.contains("{{"),
            "a placeholder was left unfilled:\n{html}"
        );
    }

    #[test]
    fn the_text_has_the_same_facts_unescaped() {
        let order = three_items();
        let text = render(&order).text;
        assert!(text.contains("Thank you for your order, Ada <b>Lovelace</b> & Co!"));
        assert!(text.contains("- Widget \"Deluxe\": 2 x 59.90 = 119.80"));
        assert!(text.contains("- <script>alert(1)</script>: 3 x 0.10 = 0.30"));
        assert!(text.contains("- p-3: 1 x 1000.00 = 1000.00"));
        assert!(text.contains("Total: 1120.10"));
        assert!(text.contains(&format!("Order number: {}", order.order_id)));
        assert!(
            !text.contains("{{"),
            "a placeholder was left unfilled:\n{text}"
        );
    }

    #[test]
    fn it_is_addressed_to_the_customer() {
        assert_eq!(render(&three_items()).to.as_str(), "ada@example.com");
    }
}
