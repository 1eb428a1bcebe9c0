//! Reading one field's value whatever JSON type the client sent, so that a
//! wrong type is a violation at that field rather than the end of the parse.
//!
//! A field says which type it wants through [`Shape`]; [`Reading`] is the
//! serde visitor that hands it that type and reports every other one.
//! Numbers never reach a visitor: serde_json would turn them into `f64`, so
//! [`Literal`] takes the number's text instead (serde_json's `RawValue`).

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserialize, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::errors::{Expected, Path, Violations};
use super::keys::{skip_map, skip_seq, Skip};

/// A field after reading it.
#[derive(Debug, Default)]
pub(super) enum Slot<T> {
    /// Not sent, or sent as `null`.
    #[default]
    Absent,
    /// Sent but invalid; the violation is already reported.
    Rejected,
    Valid(T),
}

impl<T> Slot<T> {
    /// Applies a field's rule; a broken rule is reported at `at`.
    pub(super) fn check<U>(
        self,
        at: &Path<'_>,
        violations: &mut Violations,
        rule: impl FnOnce(T) -> Result<U, String>,
    ) -> Slot<U> {
        match self {
            Slot::Absent => Slot::Absent,
            Slot::Rejected => Slot::Rejected,
            Slot::Valid(value) => match rule(value) {
                Ok(value) => Slot::Valid(value),
                Err(message) => {
                    violations.push(at, &message);
                    Slot::Rejected
                }
            },
        }
    }

    /// The value of a required field; a missing one is reported.
    pub(super) fn required(self, at: &Path<'_>, violations: &mut Violations) -> Option<T> {
        match self {
            Slot::Absent => {
                violations.required(at);
                None
            }
            Slot::Rejected => None,
            Slot::Valid(value) => Some(value),
        }
    }

    /// The value of an optional field: `Some(None)` when it was not sent,
    /// `None` when it was sent but rejected.
    pub(super) fn optional(self) -> Option<Option<T>> {
        match self {
            Slot::Absent => Some(None),
            Slot::Rejected => None,
            Slot::Valid(value) => Some(Some(value)),
        }
    }
}

/// The JSON type a field wants, and what it makes of it. Each method a shape
/// does not override reports the wrong type (still reading any nested
/// object, whose keys must not repeat either).
pub(super) trait Shape<'de>: Sized {
    type Value;
    const EXPECTED: Expected;

    fn text(
        self,
        _text: Cow<'de, str>,
        at: &Path<'_>,
        violations: &mut Violations,
    ) -> Slot<Self::Value> {
        violations.wrong_type(at, Self::EXPECTED);
        Slot::Rejected
    }

    fn list<A: SeqAccess<'de>>(
        self,
        seq: A,
        at: &Path<'_>,
        violations: &mut Violations,
    ) -> Result<Slot<Self::Value>, A::Error> {
        violations.wrong_type(at, Self::EXPECTED);
        skip_seq(seq, at, violations)?;
        Ok(Slot::Rejected)
    }

    fn object<A: MapAccess<'de>>(
        self,
        map: A,
        at: &Path<'_>,
        violations: &mut Violations,
    ) -> Result<Slot<Self::Value>, A::Error> {
        violations.wrong_type(at, Self::EXPECTED);
        skip_map(map, at, violations)?;
        Ok(Slot::Rejected)
    }
}

/// A field that wants a string; the string is borrowed from the body unless
/// it had escapes.
#[derive(Debug)]
pub(super) struct Text;

impl<'de> Shape<'de> for Text {
    type Value = Cow<'de, str>;
    const EXPECTED: Expected = Expected::Text;

    fn text(self, text: Cow<'de, str>, _: &Path<'_>, _: &mut Violations) -> Slot<Cow<'de, str>> {
        Slot::Valid(text)
    }
}

/// Reads one value into a [`Slot`] for the shape `S`.
#[derive(Debug)]
pub(super) struct Reading<'p, 'v, S> {
    shape: S,
    at: &'p Path<'p>,
    violations: &'v mut Violations,
}

impl<'p, 'v, S> Reading<'p, 'v, S> {
    pub(super) fn new(shape: S, at: &'p Path<'p>, violations: &'v mut Violations) -> Self {
        Reading {
            shape,
            at,
            violations,
        }
    }

    fn wrong<'de, E>(self) -> Result<Slot<<S as Shape<'de>>::Value>, E>
    where
        S: Shape<'de>,
    {
        self.violations.wrong_type(self.at, S::EXPECTED);
        Ok(Slot::Rejected)
    }
}

impl<'de, S: Shape<'de>> DeserializeSeed<'de> for Reading<'_, '_, S> {
    type Value = Slot<S::Value>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, S: Shape<'de>> Visitor<'de> for Reading<'_, '_, S> {
    type Value = Slot<S::Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Slot::Absent)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        self.wrong()
    }

    // Fields that want a number are read by `Literal`, never by a `Reading`,
    // so a number here is always of the wrong type.
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        self.wrong()
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        self.wrong()
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        self.wrong()
    }

    fn visit_borrowed_str<E>(self, text: &'de str) -> Result<Self::Value, E> {
        Ok(self
            .shape
            .text(Cow::Borrowed(text), self.at, self.violations))
    }

    fn visit_str<E>(self, text: &str) -> Result<Self::Value, E> {
        Ok(self
            .shape
            .text(Cow::Owned(text.to_owned()), self.at, self.violations))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        self.shape.list(seq, self.at, self.violations)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        self.shape.object(map, self.at, self.violations)
    }
}

/// Reads a field that wants a number as the number's literal text
/// (`"19.990"`, `"1e2"`), borrowed from the body; any other type is reported.
#[derive(Debug)]
pub(super) struct Literal<'p, 'v> {
    expected: Expected,
    at: &'p Path<'p>,
    violations: &'v mut Violations,
}

impl<'p, 'v> Literal<'p, 'v> {
    pub(super) fn new(
        expected: Expected,
        at: &'p Path<'p>,
        violations: &'v mut Violations,
    ) -> Self {
        Literal {
            expected,
            at,
            violations,
        }
    }
}

impl<'de> DeserializeSeed<'de> for Literal<'_, '_> {
    type Value = Slot<&'de str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        // serde_json hands out the value's exact text, already checked to be
        // valid JSON, so its first byte says which type it is.
        let raw = <&'de RawValue>::deserialize(deserializer)?.get();
        Ok(match raw.as_bytes().first() {
            Some(b'-' | b'0'..=b'9') => Slot::Valid(raw),
            Some(b'n') => Slot::Absent,
            first => {
                self.violations.wrong_type(self.at, self.expected);
                if let Some(b'{' | b'[') = first {
                    // Only on this error path is any part of the body read twice.
                    let mut nested = serde_json::Deserializer::from_str(raw);
                    // The text was valid JSON a moment ago; nothing can fail.
                    let _ = Skip::new(self.at, self.violations).deserialize(&mut nested);
                }
                Slot::Rejected
            }
        })
    }
}
