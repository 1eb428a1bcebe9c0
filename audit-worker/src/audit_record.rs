//! The key (`AuditId`, `Timestamp`) is a function of the event alone, so a
//! redelivered event maps to the record already written.

use chrono::{DateTime, Utc};
use ports::event::OrderCreated;
use ports::{AuditRecord, OrderDetails};
use runtime::batch::Delivery;
use uuid::Uuid;

/// The UUIDv5 namespace of audit ids: fixed forever, or events get a second id.
pub const AUDIT_NAMESPACE: Uuid = Uuid::from_u128(0xc5ab_a3d6_4f2d_4d04_90f2_0423_a0a8_2cc2);

pub fn audit_id(event_id: Uuid) -> Uuid {
    Uuid::new_v5(&AUDIT_NAMESPACE, event_id.as_bytes())
}

pub fn audit_record(event: &OrderCreated, delivery: &Delivery, now: DateTime<Utc>) -> AuditRecord {
    let order = &event.order;
    AuditRecord {
        audit_id: audit_id(event.event_id),
        // When the order was created, not when it was audited: part of the key.
        timestamp: order.created_at,
        order_id: order.order_id,
        event_type: event.event_type.clone(),
        event_id: event.event_id,
        correlation_id: event.correlation_id.clone(),
        details: OrderDetails {
            customer_id: order.customer_id.clone(),
            customer_name: order.customer_name.clone(),
            customer_email: order.customer_email.clone(),
            item_count: u32::try_from(order.items.len()).unwrap_or(u32::MAX),
            total_amount: order.total_amount,
        },
        source_message_id: delivery.message_id.clone(),
        recorded_at: now,
    }
}

#[cfg(test)]
mod tests {
    fn delivery(message_id: &str) -> runtime::batch::Delivery {
        runtime::batch::Delivery {
            message_id: message_id.to_owned(),
            receive_count: 1,
            deadline: chrono::Utc::now() + std::time::Duration::from_secs(60),
        }
    }

    use chrono::{Duration, TimeZone};
    use domain::{parse_order, OrderId};
    use rust_decimal::Decimal;

    use super::*;

    fn event() -> OrderCreated {
        let created = Utc
            .with_ymd_and_hms(2024, 1, 15, 10, 30, 0)
            .single()
            .expect("a valid time");
        let order = parse_order(
            br#"{"customerId":"c-42","customerName":"Ada Lovelace","customerEmail":"ada@example.com","items":[
                {"productId":"p-1","quantity":3,"price":0.1},
                {"productId":"p-2","quantity":1,"price":2.5}
            ]}"#,
        )
        .expect("a valid order")
        .accept(OrderId::random(), created);
        OrderCreated::new(Uuid::new_v4(), "corr-1", order)
    }

    #[test]
    fn the_record_carries_the_event_and_a_snapshot_of_the_order() {
        let event = event();
        let now = Utc::now();

        let record = audit_record(&event, &delivery("m-1"), now);

        assert_eq!(record.audit_id, audit_id(event.event_id));
        assert_eq!(record.audit_id.get_version_num(), 5);
        assert_eq!(record.timestamp, event.order.created_at);
        assert_eq!(record.order_id, event.order.order_id);
        assert_eq!(record.event_type, "ORDER_CREATED");
        assert_eq!(record.event_id, event.event_id);
        assert_eq!(record.correlation_id, "corr-1");
        assert_eq!(record.details.customer_id.as_deref(), Some("c-42"));
        assert_eq!(record.details.customer_name.as_str(), "Ada Lovelace");
        assert_eq!(record.details.customer_email.as_str(), "ada@example.com");
        assert_eq!(record.details.item_count, 2);
        assert_eq!(record.details.total_amount.amount(), Decimal::new(28, 1));
        assert_eq!(record.source_message_id, "m-1");
        assert_eq!(record.recorded_at, now);
    }

    #[test]
    fn a_redelivery_has_the_same_key() {
        let event = event();
        let first = audit_record(&event, &delivery("m-1"), Utc::now());
        let again = audit_record(&event, &delivery("m-2"), Utc::now() + Duration::minutes(5));

        assert_eq!(
            (first.audit_id, first.timestamp),
            (again.audit_id, again.timestamp)
        );
    }

    #[test]
    fn different_events_have_different_audit_ids() {
        assert_ne!(audit_id(Uuid::new_v4()), audit_id(Uuid::new_v4()));
        let id = Uuid::new_v4();
        assert_eq!(audit_id(id), audit_id(id));
    }
}
