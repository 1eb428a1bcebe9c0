//! The order domain: types that cannot hold an invalid value, and the
//! request parser that makes them from `POST /order`'s raw JSON.
//!
//! A crate of its own, with no AWS and no I/O, for two reasons: the domain
//! is the core the ports and adapters (`shared`) are built around, and the
//! parser is the one CPU-bound path of a request, so the release profile
//! optimises this crate for speed while the rest of each binary is optimised
//! for size (`opt-level = 3` here, `"z"` elsewhere; see the workspace's
//! Cargo.toml). `shared` re-exports it as `shared::domain`.

mod customer;
mod email_address;
mod money;
mod order;
mod request;
mod text;

pub use customer::{mask_email, CustomerEmail, CustomerName};
pub use money::{Money, PriceError};
pub use order::{iso8601, NewOrder, Order, OrderId, OrderLine, Quantity};
pub use request::{parse_order, FieldError, OrderRejection};
