//! Reading the body's JSON the way the rules need it: values stay raw JSON text
//! borrowed from the body until the [`Parser`] reads each as the JSON type its
//! field wants (any other type is a violation at the field's path), and reads
//! what no rule takes for keys that repeat inside it.

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::errors::{Path, Violations};

/// serde_json's own limit on nesting, kept for the values we read ourselves.
const MAX_DEPTH: usize = 128;

/// A JSON object: where it is in the body, and its members in the order
/// sent, keys unescaped (`"pr\u0069ce"` is `price`), values raw.
#[derive(Debug)]
pub(super) struct Object<'a> {
    pub(super) at: Path<'a>,
    /// A value is `None` once a rule has taken it.
    members: Vec<(String, Option<&'a RawValue>)>,
}

/// A field of an object, as sent: its value is `None` when absent or `null`.
#[derive(Debug)]
pub(super) struct Field<'a> {
    pub(super) at: Path<'a>,
    value: Option<&'a RawValue>,
    required: bool,
}

impl<'a> Object<'a> {
    fn located(self, at: Path<'a>) -> Self {
        Object { at, ..self }
    }

    /// Field `key` (its first value), taken out: what is left no rule read.
    pub(super) fn required<'s>(&'s mut self, key: &'s str) -> Field<'s> {
        let member = self.members.iter_mut().find(|(name, _)| name == key);
        let value = member.and_then(|(_, value)| value.take());
        Field {
            at: self.at.key(key),
            value: value.filter(|value| value.get() != "null"),
            required: true,
        }
    }

    /// The same, for a field the contract does not require.
    pub(super) fn optional<'s>(&'s mut self, key: &'s str) -> Field<'s> {
        let mut field = self.required(key);
        field.required = false;
        field
    }

    fn repeated_keys(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = self.members.iter().map(|(key, _)| &**key).collect();
        keys.sort_unstable();
        let mut repeated: Vec<&str> = keys
            .windows(2)
            .filter_map(|pair| (pair[0] == pair[1]).then_some(pair[0]))
            .collect();
        repeated.dedup();
        repeated
    }
}

impl<'de> Deserialize<'de> for Object<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ObjectVisitor)
    }
}

#[derive(Debug)]
struct ObjectVisitor;

impl<'de> Visitor<'de> for ObjectVisitor {
    type Value = Object<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Object<'de>, A::Error> {
        let mut members = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            members.push((key, Some(map.next_value()?)));
        }
        let at = Path::Root;
        Ok(Object { at, members })
    }
}

/// The JSON type a field's rule reads, as text: a string (unescaped), or a
/// number's literal (`19.990`, `1e2`), so that money never becomes an `f64`.
#[derive(Debug, Clone, Copy)]
pub(super) enum JsonType {
    Text,
    Number,
    Integer,
}

/// Reads values for the rules, collecting every violation.
#[derive(Debug, Default)]
pub(super) struct Parser {
    pub(super) violations: Violations,
    /// Why the body is not JSON after all, found only once a value is read:
    /// an escape that is not Unicode (`"\ud800"`), or nesting too deep.
    pub(super) malformed: Option<String>,
    depth: usize,
}

impl Parser {
    /// `field` read as `json_type` and checked by `rule`; `None` if absent or invalid.
    pub(super) fn read<U>(
        &mut self,
        field: Field<'_>,
        json_type: JsonType,
        rule: impl FnOnce(&str) -> Result<U, String>,
    ) -> Option<U> {
        let at = &field.at;
        let value = self.value(&field)?;
        let json = value.get();
        let text = match (json_type, json.as_bytes().first()) {
            // No escapes: the string is its own text (checked by serde_json).
            (JsonType::Text, Some(b'"')) if !json.contains('\\') => {
                Cow::Borrowed(&json[1..json.len() - 1])
            }
            (JsonType::Text, Some(b'"')) => Cow::Owned(self.decode::<String>(value, at)?),
            (JsonType::Number | JsonType::Integer, Some(b'-' | b'0'..=b'9')) => Cow::Borrowed(json),
            (JsonType::Text, _) => return self.wrong_type(value, at, "a string"),
            (JsonType::Number, _) => return self.wrong_type(value, at, "a number"),
            (JsonType::Integer, _) => return self.wrong_type(value, at, "an integer"),
        };
        rule(&text)
            .map_err(|message| self.violations.push(at, &message))
            .ok()
    }

    /// `field`'s raw value; a required field that is absent is reported.
    fn value<'a>(&mut self, field: &Field<'a>) -> Option<&'a RawValue> {
        if field.required && field.value.is_none() {
            self.violations.push(&field.at, "is required");
        }
        field.value
    }

    /// `field` as an array of objects (`items`); `None` for an element of another type.
    pub(super) fn objects<'p>(
        &mut self,
        field: &'p Field<'_>,
        expected: &str,
    ) -> Option<Vec<Option<Object<'p>>>> {
        let (value, at) = (self.value(field)?, &field.at);
        // In one pass when every element is an object, as in every order a
        // client sends; element by element, to report the others, if not.
        if let Ok(objects) = Vec::<Object>::deserialize(value) {
            let located = objects.into_iter().enumerate();
            return Some(located.map(|(i, o)| Some(o.located(at.index(i)))).collect());
        }
        if !value.get().starts_with('[') {
            return self.wrong_type(value, at, expected);
        }
        let values: Vec<&RawValue> = self.decode(value, at)?;
        let mut objects = Vec::with_capacity(values.len());
        for (index, value) in values.into_iter().enumerate() {
            let at = at.index(index);
            objects.push(if value.get().starts_with('{') {
                self.decode::<Object>(value, &at).map(|o| o.located(at))
            } else {
                self.wrong_type(value, &at, "an object")
            });
        }
        Some(objects)
    }

    fn wrong_type<T>(&mut self, value: &RawValue, at: &Path<'_>, expected: &str) -> Option<T> {
        let message = format!("has the wrong type; expected {expected}");
        self.violations.push(at, &message);
        self.read_unused(value, at);
        None
    }

    /// Once the rules took their fields: reports `object`'s repeated keys, and
    /// those inside the values no rule took (unknown fields, repeated keys).
    pub(super) fn end_object(&mut self, object: Object<'_>) {
        for (key, value) in &object.members {
            if let Some(value) = value {
                self.read_unused(value, &object.at.key(key));
            }
        }
        for key in object.repeated_keys() {
            self.violations
                .push(&object.at.key(key), "appears more than once");
        }
    }

    /// Reads a value the order does not use, for repeated keys and non-Unicode escapes.
    fn read_unused(&mut self, value: &RawValue, at: &Path<'_>) {
        let json = value.get();
        if json.starts_with('"') && json.contains('\\') {
            self.decode::<String>(value, at);
        }
        if !json.starts_with(['{', '[']) {
            return;
        }
        if self.depth == MAX_DEPTH {
            let nested = format!("arrays and objects nested more than {MAX_DEPTH} deep");
            self.malformed.get_or_insert(nested);
            return;
        }
        self.depth += 1;
        if json.starts_with('{') {
            if let Some(object) = self.decode::<Object>(value, at) {
                self.end_object(object.located(*at));
            }
        } else if let Some(values) = self.decode::<Vec<&RawValue>>(value, at) {
            for (index, value) in values.into_iter().enumerate() {
                self.read_unused(value, &at.index(index));
            }
        }
        self.depth -= 1;
    }

    /// Deserializes a value serde_json has scanned: only its strings' escapes can fail.
    fn decode<'a, T: Deserialize<'a>>(&mut self, value: &'a RawValue, at: &Path<'_>) -> Option<T> {
        let error = |e| format!("{e} of the value at {at}");
        T::deserialize(value)
            .map_err(|e| self.malformed.get_or_insert(error(e)))
            .ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(json: &str) -> Object<'_> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn a_field_is_its_first_value_and_null_is_absent() {
        let mut item = object(r#"{"price":1,"pr\u0069ce":2,"name":null}"#);
        assert_eq!(item.required("price").value.map(RawValue::get), Some("1"));
        assert!(item.optional("name").value.is_none());
        assert!(item.required("quantity").value.is_none());
        let unread: Vec<_> = item.members.iter().filter_map(|(_, v)| *v).collect();
        assert_eq!(unread.iter().map(|v| v.get()).collect::<Vec<_>>(), ["2"]);
    }

    #[test]
    fn each_repeated_key_is_named_once() {
        let keys = object(r#"{"b":1,"a":1,"b":2,"a":3,"b":3,"c":{}}"#);
        assert_eq!(keys.repeated_keys(), ["a", "b"]);
    }

    #[test]
    fn a_field_of_the_wrong_type_is_a_violation_at_its_path() {
        let mut parser = Parser::default();
        let mut item = object(r#"{"quantity":"2","price":[{"a":1,"a":2}]}"#);
        let rule = |_: &str| Ok(());
        assert_eq!(
            parser.read(item.required("quantity"), JsonType::Integer, rule),
            None
        );
        assert_eq!(
            parser.read(item.required("price"), JsonType::Number, rule),
            None
        );
        let fields: Vec<_> = parser
            .violations
            .into_sorted()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["price", "price[0].a", "quantity"]);
        assert!(parser.malformed.is_none());
    }

    #[test]
    fn nesting_deeper_than_serde_json_allows_is_malformed() {
        let deep = format!("{{\"note\":{}{}}}", "[".repeat(200), "]".repeat(200));
        let mut parser = Parser::default();
        parser.end_object(object(&deep));
        assert!(parser.malformed.is_some_and(|m| m.contains("128 deep")));
    }
}
