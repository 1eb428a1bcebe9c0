//! The order domain: types that cannot hold an invalid value, and the request
//! parser that makes them from `POST /order`'s raw JSON. No AWS and no I/O: the
//! core of ports and adapters, and a request's one CPU-bound path, which the
//! release profile optimises for speed (docs/decisions/0005).

mod customer;
mod email_address;
mod money;
mod order;
mod request;
mod text;

pub use customer::{CustomerEmail, CustomerName};
pub use money::{Money, PriceError};
pub use order::{iso8601, NewOrder, Order, OrderId, OrderLine, Quantity};
pub use request::{parse_order, FieldError, OrderRejection};
