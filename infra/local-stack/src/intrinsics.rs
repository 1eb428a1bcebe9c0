//! CloudFormation intrinsic functions, resolved to plain JSON.
//!
//! What a data-plane template needs: `Ref` (with `AWS::NoValue`), `Fn::Sub`,
//! `Fn::GetAtt`, `Fn::Join`, `Fn::If` and the condition functions, in both the
//! short (`!Sub`) and the long (`{"Fn::Sub": …}`) form.
//! Anything else is an error naming where it is, never a silently wrong value.

use std::cell::Cell;
use std::collections::BTreeMap;

use serde_json::Value as Json;
use serde_yaml_ng::Value as Yaml;

/// Where in the template something went wrong, and what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{at}: {message}")]
pub struct TemplateError {
    pub at: String,
    pub message: String,
}

impl TemplateError {
    pub(crate) fn new(at: impl Into<String>, message: impl Into<String>) -> Self {
        TemplateError {
            at: at.into(),
            message: message.into(),
        }
    }
}

/// The values that `Ref` and `Fn::GetAtt` stand for.
#[derive(Debug, Default, Clone)]
pub(crate) struct Resolver {
    /// `Ref` name → value: parameters, pseudo parameters, resources.
    refs: BTreeMap<String, String>,
    /// (logical id, attribute) → value.
    attrs: BTreeMap<(String, String), String>,
    /// The template's `Conditions`, evaluated when asked.
    conditions: BTreeMap<String, Yaml>,
    /// How deep condition evaluation is nested, to stop on a cycle.
    depth: Cell<u32>,
}

impl Resolver {
    pub(crate) fn add_ref(&mut self, name: &str, value: impl Into<String>) {
        self.refs.insert(name.to_owned(), value.into());
    }

    pub(crate) fn add_condition(&mut self, name: &str, definition: &Yaml) {
        self.conditions.insert(name.to_owned(), definition.clone());
    }

    pub(crate) fn add_attr(&mut self, logical_id: &str, attr: &str, value: impl Into<String>) {
        self.attrs
            .insert((logical_id.to_owned(), attr.to_owned()), value.into());
    }

    /// `value` with every intrinsic function replaced by its value.
    pub(crate) fn resolve(&self, value: &Yaml, at: &str) -> Result<Json, TemplateError> {
        let resolved = self.value(value, at)?;
        Ok(if is_no_value(&resolved) {
            Json::Null
        } else {
            resolved
        })
    }

    /// Like [`Resolver::resolve`], but `AWS::NoValue` stays visible to the caller,
    /// which drops the property or list item it stands for.
    fn value(&self, value: &Yaml, at: &str) -> Result<Json, TemplateError> {
        Ok(match value {
            Yaml::Null => Json::Null,
            Yaml::Bool(b) => Json::Bool(*b),
            Yaml::Number(n) => yaml_number(n, at)?,
            Yaml::String(s) => Json::String(s.clone()),
            Yaml::Sequence(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    let item = self.value(item, &format!("{at}[{i}]"))?;
                    if !is_no_value(&item) {
                        out.push(item);
                    }
                }
                Json::Array(out)
            }
            Yaml::Tagged(tagged) => {
                let name = tagged.tag.to_string();
                let name = name.trim_start_matches('!');
                let function = match name {
                    "Ref" | "Condition" => name.to_owned(),
                    _ => format!("Fn::{name}"),
                };
                self.function(&function, &tagged.value, at)?
            }
            Yaml::Mapping(map) => {
                if map.len() == 1 {
                    if let Some((Yaml::String(key), arg)) = map.iter().next() {
                        let condition_ref = key == "Condition" && arg.is_string();
                        if key == "Ref" || key.starts_with("Fn::") || condition_ref {
                            return self.function(key, arg, at);
                        }
                    }
                }
                let mut object = serde_json::Map::new();
                for (key, item) in map {
                    let Some(key) = key.as_str() else {
                        return Err(TemplateError::new(at, "a mapping key is not a string"));
                    };
                    let item = self.value(item, &format!("{at}.{key}"))?;
                    if !is_no_value(&item) {
                        object.insert(key.to_owned(), item);
                    }
                }
                Json::Object(object)
            }
        })
    }

    /// Whether the template's condition `name` holds.
    pub(crate) fn condition(&self, name: &str, at: &str) -> Result<bool, TemplateError> {
        let definition = self
            .conditions
            .get(name)
            .ok_or_else(|| TemplateError::new(at, format!("no condition named {name}")))?;
        // Conditions may name each other; a cycle must end in an error, not a stack overflow.
        if self.depth.get() > 32 {
            return Err(TemplateError::new(
                at,
                format!("condition {name} refers to itself"),
            ));
        }
        self.depth.set(self.depth.get() + 1);
        let value = self.resolve(definition, &format!("Conditions.{name}"));
        self.depth.set(self.depth.get() - 1);
        match value? {
            Json::Bool(b) => Ok(b),
            other => Err(TemplateError::new(
                format!("Conditions.{name}"),
                format!("is not a condition: {other}"),
            )),
        }
    }

    fn boolean(&self, value: &Yaml, at: &str) -> Result<bool, TemplateError> {
        match self.resolve(value, at)? {
            Json::Bool(b) => Ok(b),
            other => Err(TemplateError::new(
                at,
                format!("expected a condition, found {other}"),
            )),
        }
    }

    fn args<'y>(
        &self,
        function: &str,
        arg: &'y Yaml,
        at: &str,
    ) -> Result<&'y [Yaml], TemplateError> {
        arg.as_sequence()
            .map(Vec::as_slice)
            .ok_or_else(|| TemplateError::new(at, format!("{function} expects a list")))
    }

    /// A value that must resolve to a string (a name, an ARN).
    pub(crate) fn string(&self, value: &Yaml, at: &str) -> Result<String, TemplateError> {
        match self.resolve(value, at)? {
            Json::String(s) => Ok(s),
            other => Err(TemplateError::new(
                at,
                format!("expected a string, found {other}"),
            )),
        }
    }

    fn function(&self, name: &str, arg: &Yaml, at: &str) -> Result<Json, TemplateError> {
        self.string_function(name, arg, at)
            .map(Json::String)
            .or_else(|e| {
                if e.message != UNSUPPORTED {
                    return Err(e);
                }
                match name {
                    "Fn::If" => match self.args(name, arg, at)? {
                        [Yaml::String(condition), then, otherwise] => {
                            let chosen = if self.condition(condition, at)? {
                                then
                            } else {
                                otherwise
                            };
                            self.value(chosen, at)
                        }
                        _ => Err(TemplateError::new(
                            at,
                            "!If expects [condition, then, else]",
                        )),
                    },
                    "Condition" => {
                        let name = arg.as_str().unwrap_or_default();
                        self.condition(name, at).map(Json::Bool)
                    }
                    "Fn::Equals" => match self.args(name, arg, at)? {
                        [a, b] => Ok(Json::Bool(
                            scalar(&self.resolve(a, at)?) == scalar(&self.resolve(b, at)?),
                        )),
                        _ => Err(TemplateError::new(at, "!Equals expects two values")),
                    },
                    "Fn::Not" => match self.args(name, arg, at)? {
                        [c] => Ok(Json::Bool(!self.boolean(c, at)?)),
                        _ => Err(TemplateError::new(at, "!Not expects one condition")),
                    },
                    "Fn::And" | "Fn::Or" => {
                        let values = self
                            .args(name, arg, at)?
                            .iter()
                            .map(|c| self.boolean(c, at))
                            .collect::<Result<Vec<_>, _>>()?;
                        let and = name == "Fn::And";
                        Ok(Json::Bool(if and {
                            values.iter().all(|b| *b)
                        } else {
                            values.iter().any(|b| *b)
                        }))
                    }
                    other => Err(TemplateError::new(
                        at,
                        format!("{other} is not supported by the local stack"),
                    )),
                }
            })
    }

    /// The functions whose value is a string.
    fn string_function(&self, name: &str, arg: &Yaml, at: &str) -> Result<String, TemplateError> {
        match name {
            "Ref" => {
                let target = self.string(arg, at)?;
                if target == "AWS::NoValue" {
                    return Ok(NO_VALUE.to_owned());
                }
                self.lookup_ref(&target, at)
            }
            "Fn::GetAtt" => {
                let (id, attr) = match arg {
                    Yaml::String(s) => s.split_once('.').ok_or_else(|| {
                        TemplateError::new(at, format!("!GetAtt {s}: expected Resource.Attribute"))
                    })?,
                    Yaml::Sequence(parts) if parts.len() == 2 => {
                        match (parts[0].as_str(), parts[1].as_str()) {
                            (Some(id), Some(attr)) => (id, attr),
                            _ => return Err(TemplateError::new(at, "!GetAtt expects two strings")),
                        }
                    }
                    _ => return Err(TemplateError::new(at, "!GetAtt expects Resource.Attribute")),
                };
                self.lookup_attr(id, attr, at)
            }
            "Fn::Sub" => match arg {
                Yaml::Sequence(parts) if parts.len() == 2 => {
                    let text = self.string(&parts[0], at)?;
                    let mut local = self.clone();
                    if let Yaml::Mapping(vars) = &parts[1] {
                        for (key, value) in vars {
                            if let Some(key) = key.as_str() {
                                local.add_ref(key, self.string(value, &format!("{at}.{key}"))?);
                            }
                        }
                    }
                    local.substitute(&text, at)
                }
                _ => {
                    let text = self.string(arg, at)?;
                    self.substitute(&text, at)
                }
            },
            "Fn::Join" => {
                let Yaml::Sequence(parts) = arg else {
                    return Err(TemplateError::new(
                        at,
                        "!Join expects [delimiter, [values]]",
                    ));
                };
                let (Some(delimiter), Some(Yaml::Sequence(values))) =
                    (parts.first().and_then(Yaml::as_str), parts.get(1))
                else {
                    return Err(TemplateError::new(
                        at,
                        "!Join expects [delimiter, [values]]",
                    ));
                };
                let values = values
                    .iter()
                    .map(|v| self.string(v, at))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(values.join(delimiter))
            }
            _ => Err(TemplateError::new(at, UNSUPPORTED)),
        }
    }

    /// `${Name}`, `${Resource.Attr}`, and `${!Literal}` (which stays `${Literal}`).
    fn substitute(&self, text: &str, at: &str) -> Result<String, TemplateError> {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after
                .find('}')
                .ok_or_else(|| TemplateError::new(at, format!("unclosed ${{ in {text:?}")))?;
            let var = &after[..end];
            if let Some(literal) = var.strip_prefix('!') {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            } else if let Some((id, attr)) = var.split_once('.') {
                out.push_str(&self.lookup_attr(id, attr, at)?);
            } else {
                out.push_str(&self.lookup_ref(var, at)?);
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    fn lookup_ref(&self, name: &str, at: &str) -> Result<String, TemplateError> {
        self.refs.get(name).cloned().ok_or_else(|| {
            TemplateError::new(
                at,
                format!("cannot resolve Ref {name} (not a parameter or a named resource)"),
            )
        })
    }

    fn lookup_attr(&self, id: &str, attr: &str, at: &str) -> Result<String, TemplateError> {
        self.attrs
            .get(&(id.to_owned(), attr.to_owned()))
            .cloned()
            .ok_or_else(|| TemplateError::new(at, format!("cannot resolve !GetAtt {id}.{attr}")))
    }
}

/// Stands for `AWS::NoValue` while resolving: the property is dropped.
const NO_VALUE: &str = "\u{0}AWS::NoValue";
const UNSUPPORTED: &str = "\u{0}unsupported";

fn is_no_value(value: &Json) -> bool {
    value.as_str() == Some(NO_VALUE)
}

/// `!Equals` compares values as CloudFormation does: as strings.
fn scalar(value: &Json) -> String {
    match value {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn yaml_number(n: &serde_yaml_ng::Number, at: &str) -> Result<Json, TemplateError> {
    if let Some(i) = n.as_i64() {
        Ok(Json::from(i))
    } else if let Some(u) = n.as_u64() {
        Ok(Json::from(u))
    } else {
        n.as_f64()
            .and_then(serde_json::Number::from_f64)
            .map(Json::Number)
            .ok_or_else(|| TemplateError::new(at, format!("{n} is not a finite number")))
    }
}

#[cfg(test)]
mod tests {
    //! Resolving intrinsic functions.
    use super::*;

    fn resolver() -> Resolver {
        let mut r = Resolver::default();
        r.add_ref("Environment", "local");
        r.add_ref("AWS::Region", "us-east-1");
        r.add_ref("Topic", "arn:aws:sns:us-east-1:1:local-T");
        r.add_attr("Queue", "Arn", "arn:aws:sqs:us-east-1:1:local-Q");
        r
    }

    fn resolve(yaml: &str) -> Result<Json, TemplateError> {
        let value: Yaml = serde_yaml_ng::from_str(yaml).expect("test YAML parses");
        resolver().resolve(&value, "test")
    }

    #[test]
    fn short_and_long_forms_resolve_alike() {
        let short = resolve("[!Sub '${Environment}-Q', !Ref Topic, !GetAtt Queue.Arn]");
        let long =
            resolve("[{Fn::Sub: '${Environment}-Q'}, {Ref: Topic}, {Fn::GetAtt: [Queue, Arn]}]");
        assert_eq!(short, long);
        assert_eq!(
            short,
            Ok(serde_json::json!([
                "local-Q",
                "arn:aws:sns:us-east-1:1:local-T",
                "arn:aws:sqs:us-east-1:1:local-Q"
            ]))
        );
    }

    #[test]
    fn sub_knows_resource_attributes_escapes_and_its_own_variables() {
        assert_eq!(
            resolve("!Sub '${Queue.Arn}/${!Literal}/${AWS::Region}'"),
            Ok(Json::from(
                "arn:aws:sqs:us-east-1:1:local-Q/${Literal}/us-east-1"
            ))
        );
        assert_eq!(
            resolve("!Sub ['${Name}-x', {Name: !Ref Environment}]"),
            Ok(Json::from("local-x"))
        );
    }

    #[test]
    fn conditions_choose_a_value_and_no_value_drops_it() {
        let yaml = |text: &str| serde_yaml_ng::from_str::<Yaml>(text).expect("test YAML parses");
        let mut r = resolver();
        r.add_condition("IsLocal", &yaml("!Equals [!Ref Environment, local]"));
        r.add_condition("NotLocal", &yaml("!Not [{Condition: IsLocal}]"));
        r.add_condition(
            "Both",
            &yaml("!And [{Condition: IsLocal}, !Or [{Condition: NotLocal}, !Equals [1, '1']]]"),
        );
        let value = "{a: !If [IsLocal, x, y], b: !If [NotLocal, z, !Ref AWS::NoValue], c: [1, !Ref AWS::NoValue]}";
        assert_eq!(
            r.resolve(&yaml(value), "test"),
            Ok(serde_json::json!({"a": "x", "c": [1]}))
        );
        assert_eq!(r.condition("Both", "test"), Ok(true));
        assert_eq!(r.condition("NotLocal", "test"), Ok(false));
    }

    #[test]
    fn a_condition_that_names_itself_is_an_error() {
        let mut r = resolver();
        let definition: Yaml = serde_yaml_ng::from_str("!Not [{Condition: Loop}]").expect("YAML");
        r.add_condition("Loop", &definition);
        assert!(r.condition("Loop", "test").is_err());
    }

    #[test]
    fn an_unknown_reference_or_function_is_an_error_that_says_where() {
        let err = resolve("{a: {b: !Ref Nope}}").unwrap_err();
        assert_eq!(err.at, "test.a.b");
        assert!(err.message.contains("Nope"), "{err}");
        assert!(resolve("!If [c, a, b]").is_err());
    }
}
