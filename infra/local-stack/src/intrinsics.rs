//! CloudFormation intrinsic functions, resolved to plain JSON: what the template
//! needs (`Ref`, `Fn::Sub`, `Fn::GetAtt`, `Fn::If`, the condition functions), in
//! short and long form. Anything else is an error saying where, never a wrong value.

use std::cell::Cell;
use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde_json::Value as Json;
use serde_yaml_ng::Value as Yaml;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{at}: {message}")]
pub struct TemplateError {
    pub at: String,
    pub message: String,
}

pub(crate) fn fail<T>(at: &str, message: impl Into<String>) -> Result<T, TemplateError> {
    let (at, message) = (at.to_owned(), message.into());
    Err(TemplateError { at, message })
}

#[derive(Debug, Default, Clone)]
pub(crate) struct Resolver {
    /// Parameters and resources by name, attributes as `Resource.Attribute` (as `${…}` does).
    values: BTreeMap<String, String>,
    conditions: BTreeMap<String, Yaml>,
    depth: Cell<u32>,
}

impl Resolver {
    pub(crate) fn add_ref(&mut self, name: &str, value: impl Into<String>) {
        self.values.insert(name.to_owned(), value.into());
    }

    pub(crate) fn add_condition(&mut self, name: &str, definition: &Yaml) {
        self.conditions.insert(name.to_owned(), definition.clone());
    }

    pub(crate) fn resolve(&self, value: &Yaml, at: &str) -> Result<Json, TemplateError> {
        Ok(self.value(value, at)?.unwrap_or(Json::Null))
    }

    pub(crate) fn read<T>(&self, value: &Yaml, at: &str) -> Result<T, TemplateError>
    where
        T: DeserializeOwned,
    {
        serde_json::from_value(self.resolve(value, at)?).or_else(|e| fail(at, e.to_string()))
    }

    pub(crate) fn string(&self, value: &Yaml, at: &str) -> Result<String, TemplateError> {
        match self.resolve(value, at)? {
            Json::String(s) => Ok(s),
            other => fail(at, format!("expected a string, found {other}")),
        }
    }

    pub(crate) fn condition(&self, name: &str, at: &str) -> Result<bool, TemplateError> {
        let Some(definition) = self.conditions.get(name) else {
            return fail(at, format!("no condition named {name}"));
        };
        // Conditions may name each other; a cycle must end in an error, not a stack overflow.
        if self.depth.get() > 32 {
            return fail(at, format!("condition {name} refers to itself"));
        }
        self.depth.set(self.depth.get() + 1);
        let holds = self.boolean(definition, &format!("Conditions.{name}"));
        self.depth.set(self.depth.get() - 1);
        holds
    }

    fn boolean(&self, value: &Yaml, at: &str) -> Result<bool, TemplateError> {
        match self.resolve(value, at)? {
            Json::Bool(b) => Ok(b),
            other => fail(at, format!("expected a condition, found {other}")),
        }
    }

    /// `None` stands for `AWS::NoValue`: the property or list item is dropped.
    fn value(&self, value: &Yaml, at: &str) -> Result<Option<Json>, TemplateError> {
        if let Some((function, arg)) = intrinsic(value) {
            return self.function(&function, arg, at);
        }
        Ok(Some(match value {
            Yaml::Sequence(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    out.extend(self.value(item, &format!("{at}[{i}]"))?);
                }
                Json::Array(out)
            }
            Yaml::Mapping(map) => {
                let mut object = serde_json::Map::new();
                for (key, item) in map {
                    let Some(key) = key.as_str() else {
                        return fail(at, "a mapping key is not a string");
                    };
                    if let Some(item) = self.value(item, &format!("{at}.{key}"))? {
                        object.insert(key.to_owned(), item);
                    }
                }
                Json::Object(object)
            }
            scalar => serde_json::to_value(scalar).or_else(|e| fail(at, e.to_string()))?,
        }))
    }

    fn function(
        &self,
        function: &str,
        arg: &Yaml,
        at: &str,
    ) -> Result<Option<Json>, TemplateError> {
        let args = arg.as_sequence().map_or(&[][..], Vec::as_slice);
        let wrong = |expected: &str| fail(at, format!("!{function} expects {expected}"));
        let text = |s: String| Ok(Some(Json::String(s)));
        let truth = |b: bool| Ok(Some(Json::Bool(b)));
        match (function, args) {
            ("Ref", _) => match self.string(arg, at)?.as_str() {
                "AWS::NoValue" => Ok(None),
                name => text(self.lookup(name, at)?),
            },
            ("GetAtt", [id, attr]) => {
                let path = format!("{}.{}", self.string(id, at)?, self.string(attr, at)?);
                text(self.lookup(&path, at)?)
            }
            ("GetAtt", _) => text(self.lookup(&self.string(arg, at)?, at)?),
            ("Sub", [text_arg, variables]) => {
                let mut local = self.clone();
                for (key, value) in variables.as_mapping().into_iter().flatten() {
                    let key = key.as_str().unwrap_or_default();
                    local.add_ref(key, self.string(value, &format!("{at}.{key}"))?);
                }
                text(local.substitute(&self.string(text_arg, at)?, at)?)
            }
            ("Sub", _) => text(self.substitute(&self.string(arg, at)?, at)?),
            ("If", [Yaml::String(condition), then, otherwise]) => {
                let holds = self.condition(condition, at)?;
                self.value(if holds { then } else { otherwise }, at)
            }
            ("If", _) => wrong("[condition, then, else]"),
            ("Condition", _) => truth(self.condition(&self.string(arg, at)?, at)?),
            ("Equals", [a, b]) => {
                let (a, b) = (self.resolve(a, at)?, self.resolve(b, at)?);
                truth(text_of(&a) == text_of(&b))
            }
            ("Equals", _) => wrong("two values"),
            ("Not", [condition]) => truth(!self.boolean(condition, at)?),
            ("Not", _) => wrong("one condition"),
            ("And" | "Or", conditions) => {
                let values = conditions.iter().map(|c| self.boolean(c, at));
                let values = values.collect::<Result<Vec<_>, _>>()?;
                let (all, any) = (!values.contains(&false), values.contains(&true));
                truth(if function == "And" { all } else { any })
            }
            (other, _) => fail(at, format!("!{other} is not supported by the local stack")),
        }
    }

    /// `${Name}`, `${Resource.Attr}`, and `${!Literal}` (which stays `${Literal}`).
    fn substitute(&self, text: &str, at: &str) -> Result<String, TemplateError> {
        let mut parts = text.split("${");
        let mut out = parts.next().unwrap_or_default().to_owned();
        for part in parts {
            let Some((name, rest)) = part.split_once('}') else {
                return fail(at, format!("unclosed ${{ in {text:?}"));
            };
            match name.strip_prefix('!') {
                Some(literal) => out.push_str(&format!("${{{literal}}}")),
                None => out.push_str(&self.lookup(name, at)?),
            }
            out.push_str(rest);
        }
        Ok(out)
    }

    pub(crate) fn lookup(&self, name: &str, at: &str) -> Result<String, TemplateError> {
        let unknown = || format!("cannot resolve {name} (not a parameter or a named resource)");
        let value = self.values.get(name).cloned();
        value.map_or_else(|| fail(at, unknown()), Ok)
    }
}

/// The function `value` calls and its argument: `!Sub x` and `{Fn::Sub: x}`
/// are both `("Sub", x)`; `{Condition: name}` only with a name.
fn intrinsic(value: &Yaml) -> Option<(String, &Yaml)> {
    match value {
        Yaml::Tagged(tagged) => Some((tagged.tag.to_string().split_off(1), &tagged.value)),
        Yaml::Mapping(map) if map.len() == 1 => {
            let (key, arg) = map.iter().next()?;
            let key = key.as_str()?;
            let plain = key == "Ref" || (key == "Condition" && arg.is_string());
            let function = key.strip_prefix("Fn::").or(plain.then_some(key))?;
            Some((function.to_owned(), arg))
        }
        _ => None,
    }
}

/// A value as CloudFormation's text: `Fn::Equals` compares these, and an API
/// attribute takes one (`true`, `360`, or compact JSON).
pub(crate) fn text_of(value: &Json) -> String {
    value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_owned)
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
        r.add_ref("Queue.Arn", "arn:aws:sqs:us-east-1:1:local-Q");
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
