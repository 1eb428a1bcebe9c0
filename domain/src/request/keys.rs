//! Keys must not repeat, at any depth: a repeated key is a violation at its
//! path (`items[0].price appears more than once`), not a silent "last one wins".
//!
//! Known fields are tracked with [`Seen`]. Values the order does not keep —
//! unknown fields, values of the wrong type, the second value of a repeated
//! key — are still read to their end by [`Skip`], which checks their keys.
//! Keys are compared after unescaping: `"pr\u0069ce"` is `price`.

use std::borrow::Cow;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::errors::{Path, Violations};

/// An object key, unescaped; borrowed from the body unless it had escapes.
#[derive(Debug)]
pub(super) struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_borrowed_str<E>(self, key: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(key))
    }

    fn visit_str<E>(self, key: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(key.to_owned()))
    }
}

/// Which of an object's known fields (at most 8) have been read.
#[derive(Debug, Default)]
pub(super) struct Seen(u8);

impl Seen {
    /// Marks field number `field`; `false` if it was already there.
    pub(super) fn first_time(&mut self, field: u8) -> bool {
        let bit = 1 << field;
        let first = self.0 & bit == 0;
        self.0 |= bit;
        first
    }
}

/// Reads any value to its end, reporting repeated keys inside it.
#[derive(Debug)]
pub(super) struct Skip<'p, 'v> {
    at: &'p Path<'p>,
    violations: &'v mut Violations,
}

impl<'p, 'v> Skip<'p, 'v> {
    pub(super) fn new(at: &'p Path<'p>, violations: &'v mut Violations) -> Self {
        Skip { at, violations }
    }
}

impl<'de> DeserializeSeed<'de> for Skip<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Skip<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        skip_seq(seq, self.at, self.violations)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        skip_map(map, self.at, self.violations)
    }
}

/// Reads an array we do not keep, element by element.
pub(super) fn skip_seq<'de, A: SeqAccess<'de>>(
    mut seq: A,
    at: &Path<'_>,
    violations: &mut Violations,
) -> Result<(), A::Error> {
    let mut index = 0;
    loop {
        let here = at.index(index);
        if seq
            .next_element_seed(Skip::new(&here, violations))?
            .is_none()
        {
            return Ok(());
        }
        index += 1;
    }
}

/// Reads an object we do not keep, checking that no key repeats.
pub(super) fn skip_map<'de, A: MapAccess<'de>>(
    mut map: A,
    at: &Path<'_>,
    violations: &mut Violations,
) -> Result<(), A::Error> {
    let mut keys = Vec::new();
    while let Some(key) = map.next_key_seed(Key)? {
        map.next_value_seed(Skip::new(&at.key(&key), violations))?;
        keys.push(key);
    }
    report_repeated(keys, at, violations);
    Ok(())
}

/// Reports each key of the object at `at` that occurs more than once — once,
/// however often it repeats. Sorting keeps a large object O(n log n).
pub(super) fn report_repeated(
    mut keys: Vec<Cow<'_, str>>,
    at: &Path<'_>,
    violations: &mut Violations,
) {
    keys.sort_unstable();
    let mut reported: Option<&str> = None;
    for pair in keys.windows(2) {
        if pair[0] == pair[1] && reported != Some(&*pair[0]) {
            violations.repeated(&at.key(&pair[0]));
            reported = Some(&pair[0]);
        }
    }
}
