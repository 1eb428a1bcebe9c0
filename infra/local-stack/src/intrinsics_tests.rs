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
    let long = resolve("[{Fn::Sub: '${Environment}-Q'}, {Ref: Topic}, {Fn::GetAtt: [Queue, Arn]}]");
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
