//! Exact money. Arithmetic is `rust_decimal`; never `f64`.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::Quantity;

/// An exact amount with at most two decimal places. On the wire (JSON,
/// DynamoDB `N`) a plain number: the contract's bounds keep every amount under
/// 15 significant digits, so the shortest form of the number read back is the
/// amount itself: `3 × 0.10` is written `0.3`, never `0.30000000000000004`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(Decimal);

/// Why a price was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PriceError {
    #[error("must be greater than 0 and at most 999999.99")]
    OutOfRange,
    #[error("must have at most 2 decimal places")]
    TooPrecise,
}

impl Money {
    pub const MAX_PRICE: Decimal = Decimal::from_parts(99_999_999, 0, 0, false, 2);

    /// A unit price: `0 < price ≤ 999999.99`, at most two decimal places.
    pub fn price(amount: Decimal) -> Result<Money, PriceError> {
        if amount <= Decimal::ZERO || amount > Self::MAX_PRICE {
            return Err(PriceError::OutOfRange);
        }
        let amount = amount.normalize();
        if amount.scale() > 2 {
            return Err(PriceError::TooPrecise);
        }
        Ok(Money(amount))
    }

    /// A stored or received amount, taken as it is (no contract bounds).
    pub fn from_decimal(amount: Decimal) -> Money {
        Money(amount.normalize())
    }

    pub fn amount(&self) -> Decimal {
        self.0
    }

    /// `self × quantity`, exact.
    pub fn times(self, quantity: Quantity) -> Money {
        Money((self.0 * Decimal::from(quantity.get())).normalize())
    }

    /// Written with two decimals, as a customer reads a price: `59.90`.
    pub fn to_display_string(&self) -> String {
        format!("{:.2}", self.0)
    }
}

impl std::iter::Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        Money(iter.map(|m| m.0).sum::<Decimal>().normalize())
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // The decimal's text parses to the nearest f64, whose shortest form (what
        // serde_json and serde_dynamo print) is that text.
        let number =
            f64::from_str(&self.0.normalize().to_string()).map_err(serde::ser::Error::custom)?;
        serializer.serialize_f64(number)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Money, D::Error> {
        // rust_decimal reads numbers through their shortest text and also accepts strings.
        <Decimal as Deserialize>::deserialize(deserializer).map(Money::from_decimal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn three_times_ten_cents_is_exactly_thirty_cents_on_the_wire() {
        let price = Money::price(dec!(0.10)).unwrap();
        let subtotal = price.times(Quantity::new(3).unwrap());
        assert_eq!(subtotal.amount(), dec!(0.3));
        assert_eq!(serde_json::to_string(&subtotal).unwrap(), "0.3");
    }

    #[test]
    fn the_largest_amounts_round_trip_exactly_through_json() {
        let total = Money::price(Money::MAX_PRICE)
            .unwrap()
            .times(Quantity::new(1000).unwrap());
        let total: Money = [total; 50].into_iter().sum();
        let text = serde_json::to_string(&total).unwrap();
        assert_eq!(text, "49999999500.0");
        let back: Money = serde_json::from_str(&text).unwrap();
        assert_eq!(back, total);
        let cents: Money = serde_json::from_str("12345678901.23").unwrap();
        assert_eq!(cents.amount(), dec!(12345678901.23));
    }

    #[test]
    fn prices_are_checked_at_both_bounds() {
        assert_eq!(Money::price(dec!(0)), Err(PriceError::OutOfRange));
        assert_eq!(Money::price(dec!(-1)), Err(PriceError::OutOfRange));
        assert!(Money::price(dec!(0.01)).is_ok());
        assert!(Money::price(dec!(999999.99)).is_ok());
        assert_eq!(Money::price(dec!(1000000)), Err(PriceError::OutOfRange));
        assert_eq!(Money::price(dec!(1.005)), Err(PriceError::TooPrecise));
        assert!(Money::price(dec!(1.500)).is_ok());
    }
}
