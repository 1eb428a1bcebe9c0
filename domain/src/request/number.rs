//! Money and quantities from a JSON number's literal text (its grammar checked
//! by serde_json), exactly: nothing goes through `f64`, so `19.999999999999999`
//! is too precise for a price instead of becoming 20.

use rust_decimal::Decimal;

use super::super::{Money, PriceError, Quantity};

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(super) enum AmountError {
    #[error("must be a plain decimal number such as 19.99, without an exponent")]
    Exponent,
    #[error("must have at most 2 decimal places")]
    TooPrecise,
    /// More digits than rust_decimal holds exactly (about 28).
    #[error("is out of range")]
    OutOfRange,
}

/// An amount as written, never rounded: no exponent, at most two decimal places
/// once trailing zeros are dropped (C# decimals are written `1.500`).
pub(super) fn amount(literal: &str) -> Result<Decimal, AmountError> {
    if literal.bytes().any(|b| b | 0x20 == b'e') {
        return Err(AmountError::Exponent);
    }
    // Trailing zeros carry no value: dropped first, so `1.000…0` is not too many digits.
    let significant = match literal.split_once('.') {
        Some((whole, fraction)) => {
            let fraction = fraction.trim_end_matches('0');
            if fraction.len() > 2 {
                return Err(AmountError::TooPrecise);
            }
            // A prefix of `literal`: no allocation.
            &literal[..whole.len() + usize::from(!fraction.is_empty()) + fraction.len()]
        }
        None => literal,
    };
    Decimal::from_str_exact(significant).map_err(|_| AmountError::OutOfRange)
}

/// A unit price: an [`amount`] within the contract's bounds.
pub(super) fn price(literal: &str) -> Result<Money, String> {
    match amount(literal) {
        Ok(amount) => Money::price(amount).map_err(|e| e.to_string()),
        Err(AmountError::OutOfRange) => Err(PriceError::OutOfRange.to_string()),
        Err(e) => Err(e.to_string()),
    }
}

/// A subtotal or total the client sent, to compare with ours.
pub(super) fn sent_amount(literal: &str) -> Result<Decimal, String> {
    amount(literal).map_err(|e| e.to_string())
}

/// A quantity: an integer literal (no fraction, no exponent) in 1–1000.
pub(super) fn quantity(literal: &str) -> Result<Quantity, String> {
    if literal.bytes().any(|b| b == b'.' || b | 0x20 == b'e') {
        return Err("must be a whole number, written without a fraction or exponent".to_owned());
    }
    // Too many digits for an i64 is as out of range as 1001.
    Quantity::new(literal.parse::<i64>().unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn an_amount_keeps_every_digit_it_was_written_with() {
        assert_eq!(amount("19.99"), Ok(dec!(19.99)));
        assert_eq!(amount("1.500"), Ok(dec!(1.5)));
        assert_eq!(amount("7"), Ok(dec!(7)));
        assert_eq!(amount("-0.5"), Ok(dec!(-0.5)));
        assert_eq!(amount(&format!("1.{}", "0".repeat(40))), Ok(dec!(1)));
    }

    #[test]
    fn an_amount_is_never_rounded() {
        assert_eq!(amount("19.999999999999999"), Err(AmountError::TooPrecise));
        assert_eq!(amount("0.001"), Err(AmountError::TooPrecise));
        assert_eq!(amount(&"9".repeat(40)), Err(AmountError::OutOfRange));
        assert_eq!(amount("1e2"), Err(AmountError::Exponent));
        assert_eq!(amount("1.5E-1"), Err(AmountError::Exponent));
    }

    #[test]
    fn a_price_is_checked_against_the_contract() {
        assert_eq!(price("999999.99").map(|m| m.amount()), Ok(dec!(999999.99)));
        assert!(price("1000000").is_err());
        assert!(price("0").is_err());
        assert!(price("-0").is_err());
        assert!(price("-5").is_err());
    }

    #[test]
    fn a_quantity_is_a_whole_number_literal() {
        assert_eq!(quantity("3").map(|q| q.get()), Ok(3));
        assert!(quantity("2.0").is_err());
        assert!(quantity("1e2").is_err());
        assert!(quantity("0").is_err());
        assert!(quantity("1001").is_err());
        assert!(quantity("-1").is_err());
        assert!(quantity("99999999999999999999999").is_err());
    }
}
