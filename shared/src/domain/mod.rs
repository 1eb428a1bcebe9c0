//! The order domain: types that cannot hold an invalid value.

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
