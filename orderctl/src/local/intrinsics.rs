//! CloudFormation intrinsic functions, resolved to plain JSON.
//!
//! Only what a data-plane template needs: `Ref`, `Fn::Sub`, `Fn::GetAtt` and
//! `Fn::Join`, in both the short (`!Sub`) and the long (`{"Fn::Sub": …}`) form.
//! Anything else is an error naming where it is, never a silently wrong value.

use std::collections::BTreeMap;

use serde_json::Value as Json;
use serde_yaml::Value as Yaml;

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
}

impl Resolver {
    pub(crate) fn add_ref(&mut self, name: &str, value: impl Into<String>) {
        self.refs.insert(name.to_owned(), value.into());
    }

    pub(crate) fn add_attr(&mut self, logical_id: &str, attr: &str, value: impl Into<String>) {
        self.attrs
            .insert((logical_id.to_owned(), attr.to_owned()), value.into());
    }

    /// `value` with every intrinsic function replaced by its value.
    pub(crate) fn resolve(&self, value: &Yaml, at: &str) -> Result<Json, TemplateError> {
        Ok(match value {
            Yaml::Null => Json::Null,
            Yaml::Bool(b) => Json::Bool(*b),
            Yaml::Number(n) => yaml_number(n, at)?,
            Yaml::String(s) => Json::String(s.clone()),
            Yaml::Sequence(items) => Json::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| self.resolve(item, &format!("{at}[{i}]")))
                    .collect::<Result<_, _>>()?,
            ),
            Yaml::Tagged(tagged) => {
                let name = tagged.tag.to_string();
                let name = name.trim_start_matches('!');
                let function = if name == "Ref" {
                    "Ref".to_owned()
                } else {
                    format!("Fn::{name}")
                };
                Json::String(self.function(&function, &tagged.value, at)?)
            }
            Yaml::Mapping(map) => {
                if map.len() == 1 {
                    if let Some((Yaml::String(key), arg)) = map.iter().next() {
                        if key == "Ref" || key.starts_with("Fn::") {
                            return Ok(Json::String(self.function(key, arg, at)?));
                        }
                    }
                }
                let mut object = serde_json::Map::new();
                for (key, item) in map {
                    let Some(key) = key.as_str() else {
                        return Err(TemplateError::new(at, "a mapping key is not a string"));
                    };
                    object.insert(key.to_owned(), self.resolve(item, &format!("{at}.{key}"))?);
                }
                Json::Object(object)
            }
        })
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

    fn function(&self, name: &str, arg: &Yaml, at: &str) -> Result<String, TemplateError> {
        match name {
            "Ref" => {
                let target = self.string(arg, at)?;
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
            other => Err(TemplateError::new(
                at,
                format!("{other} is not supported by the local stack"),
            )),
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

fn yaml_number(n: &serde_yaml::Number, at: &str) -> Result<Json, TemplateError> {
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
        let value: Yaml = serde_yaml::from_str(yaml).expect("test YAML parses");
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
    fn an_unknown_reference_or_function_is_an_error_that_says_where() {
        let err = resolve("{a: {b: !Ref Nope}}").unwrap_err();
        assert_eq!(err.at, "test.a.b");
        assert!(err.message.contains("Nope"), "{err}");
        assert!(resolve("!If [c, a, b]").is_err());
    }
}
