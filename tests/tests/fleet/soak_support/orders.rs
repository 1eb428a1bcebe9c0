//! The soak's orders: valid, one customer address each (so every row, audit
//! record and email can be traced to its order), 1–3 items, drawn from the seed.

use serde_json::{json, Value};

/// Prices whose JSON literals are exact decimals.
const PRICES: [f64; 6] = [0.1, 2.5, 9.99, 19.99, 149.0, 1234.56];

/// One order the app posts.
#[derive(Debug, Clone)]
pub struct Order {
    pub index: usize,
    pub customer_email: String,
    pub idempotency_key: String,
    pub body: String,
}

impl Order {
    /// Order `index` of the stack `env`; `rng` draws its items.
    pub fn new(env: &str, index: usize, rng: &mut fastrand::Rng) -> Order {
        let customer_email = format!("soak-{index}-{env}@example.com");
        let items: Vec<Value> = (0..rng.usize(1..=3))
            .map(|n| {
                json!({
                    "productId": format!("SKU-{}", rng.u32(1..=500)),
                    "productName": format!("Part {n}"),
                    "quantity": rng.u32(1..=5),
                    "price": PRICES[rng.usize(..PRICES.len())],
                })
            })
            .collect();
        let body = json!({
            "customerId": format!("soak-{index}"),
            "customerName": format!("Soak Customer {index}"),
            "customerEmail": customer_email,
            "items": items,
        });
        Order {
            index,
            idempotency_key: format!("{env}-order-{index}"),
            customer_email,
            body: body.to_string(),
        }
    }
}

/// The RNG of order `index`: its items and its client's jitter, the same for
/// the same seed however the clients interleave.
pub fn rng(seed: u64, index: usize) -> fastrand::Rng {
    const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;
    fastrand::Rng::with_seed(seed ^ (index as u64 + 1).wrapping_mul(GOLDEN))
}
