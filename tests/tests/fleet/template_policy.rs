//! The template invariants cfn-guard cannot check (infra/rules/ holds the
//! others). A queue a Lambda function consumes hides a received message for at
//! least 6 x the function's timeout (AWS guidance), or a batch still running
//! becomes visible again and is handled twice: cfn-guard has no arithmetic.
//! Every taggable resource carries the Project, Environment and CostCentre
//! tags, each type in its own shape: which types take tags, and how, is a
//! table of CloudFormation's resource schemas, and a type the table does not
//! know fails the test. Read from the SAM template itself.

use std::path::Path;

use serde_yaml_ng::Value;

/// The guidance's factor.
const FACTOR: u64 = 6;
/// What CloudFormation uses when a property is left out.
const DEFAULT_VISIBILITY_TIMEOUT: u64 = 30;
const DEFAULT_FUNCTION_TIMEOUT: u64 = 3;

/// One SQS event source, followed to its queue and its function.
#[derive(Debug, PartialEq, Eq)]
struct Pairing {
    /// `<Function>.<Event>`: the event on the serverless function.
    mapping: String,
    queue: String,
    visibility_timeout: u64,
    function: String,
    timeout: u64,
}

/// Every `Type: SQS` event of every `AWS::Serverless::Function`, paired with
/// its queue, or why one cannot be followed. A function's timeout is its own,
/// or `Globals.Function.Timeout`, or SAM's default.
fn pairings(template: &Value) -> Result<Vec<Pairing>, String> {
    let resources = template
        .get("Resources")
        .and_then(Value::as_mapping)
        .ok_or("the template has no Resources")?;
    let number = |value: Option<&Value>, key: &str, default: u64| -> Result<u64, String> {
        match value {
            None => Ok(default),
            Some(value) => value
                .as_u64()
                .or_else(|| value.as_str().and_then(|s| s.parse().ok()))
                .ok_or_else(|| format!("{key} is not a literal number: {value:?}")),
        }
    };
    let global_timeout = number(
        template
            .get("Globals")
            .and_then(|g| g.get("Function"))
            .and_then(|f| f.get("Timeout")),
        "Globals.Function.Timeout",
        DEFAULT_FUNCTION_TIMEOUT,
    )?;

    let mut found = Vec::new();
    for (id, function) in resources {
        if function.get("Type").and_then(Value::as_str) != Some("AWS::Serverless::Function") {
            continue;
        }
        let function_id = id.as_str().unwrap_or_default().to_owned();
        let properties = function.get("Properties");
        let timeout = number(
            properties.and_then(|p| p.get("Timeout")),
            "Timeout",
            global_timeout,
        )?;
        let events = properties
            .and_then(|p| p.get("Events"))
            .and_then(Value::as_mapping);
        for (event_id, event) in events.into_iter().flatten() {
            if event.get("Type").and_then(Value::as_str) != Some("SQS") {
                continue;
            }
            let mapping = format!("{function_id}.{}", event_id.as_str().unwrap_or_default());
            let queue = event
                .get("Properties")
                .and_then(|p| p.get("Queue"))
                .and_then(referenced)
                .ok_or_else(|| format!("{mapping}: Queue is not !GetAtt <Queue>.Arn"))?;
            let queue_resource = resources
                .get(queue.as_str())
                .filter(|q| q.get("Type").and_then(Value::as_str) == Some("AWS::SQS::Queue"))
                .ok_or_else(|| format!("{mapping}: {queue} is not a queue of this template"))?;
            found.push(Pairing {
                visibility_timeout: number(
                    queue_resource
                        .get("Properties")
                        .and_then(|p| p.get("VisibilityTimeout")),
                    "VisibilityTimeout",
                    DEFAULT_VISIBILITY_TIMEOUT,
                )?,
                timeout,
                mapping,
                queue,
                function: function_id.clone(),
            });
        }
    }
    Ok(found)
}

/// The logical id in `!Ref X`, `!GetAtt X.Arn` or their long forms.
fn referenced(value: &Value) -> Option<String> {
    let (function, argument) = match value {
        Value::Tagged(tagged) => (
            tagged.tag.to_string().trim_start_matches('!').to_owned(),
            &tagged.value,
        ),
        Value::Mapping(map) if map.len() == 1 => {
            let (key, argument) = map.iter().next()?;
            (
                key.as_str()?.trim_start_matches("Fn::").to_owned(),
                argument,
            )
        }
        _ => return None,
    };
    match (function.as_str(), argument) {
        ("Ref", Value::String(id)) => Some(id.clone()),
        ("GetAtt", Value::String(dotted)) => dotted.strip_suffix(".Arn").map(str::to_owned),
        ("GetAtt", Value::Sequence(parts)) if parts.len() == 2 && parts[1] == "Arn" => {
            parts[0].as_str().map(str::to_owned)
        }
        _ => None,
    }
}

/// The pairings that break the rule, as messages.
fn violations(template: &Value) -> Result<Vec<String>, String> {
    Ok(pairings(template)?
        .into_iter()
        .filter(|p| p.visibility_timeout < FACTOR * p.timeout)
        .map(|p| {
            format!(
                "{}: {} hides a message {} s, under {FACTOR} x {}'s timeout of {} s",
                p.mapping, p.queue, p.visibility_timeout, p.function, p.timeout
            )
        })
        .collect())
}

fn template_text() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../infra/template.yaml");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn parse(text: &str) -> Value {
    serde_yaml_ng::from_str(text).unwrap_or_else(|e| panic!("the template is not YAML: {e}"))
}

/// The template with `from` replaced by `to` exactly once in the block of
/// resource `id`.
fn edited(id: &str, from: &str, to: &str) -> Value {
    let text = template_text();
    let start = text
        .find(&format!("\n  {id}:\n"))
        .unwrap_or_else(|| panic!("no resource {id} in the template"));
    let end = text[start + 1..]
        .find("\n  # ")
        .map_or(text.len(), |at| start + 1 + at);
    let block = &text[start..end];
    assert_eq!(
        block.matches(from).count(),
        1,
        "`{from}` must occur once in {id}:\n{block}"
    );
    parse(&format!(
        "{}{}{}",
        &text[..start],
        block.replacen(from, to, 1),
        &text[end..]
    ))
}

#[test]
fn every_consumed_queue_hides_a_message_six_times_its_functions_timeout() {
    let template = parse(&template_text());
    let pairings = pairings(&template).unwrap_or_else(|e| panic!("{e}"));
    let pairs: Vec<(&str, &str)> = pairings
        .iter()
        .map(|p| (p.queue.as_str(), p.function.as_str()))
        .collect();
    assert_eq!(
        pairs.len(),
        2,
        "both workers consume their queue: {pairs:?}"
    );
    assert!(pairs.contains(&("OrderEmailQueue", "EmailWorkerFunction")));
    assert!(pairs.contains(&("OrderAuditQueue", "AuditWorkerFunction")));
    assert_eq!(violations(&template), Ok(Vec::new()));
}

#[test]
fn a_visibility_timeout_of_five_times_the_function_timeout_is_refused() {
    let template = edited(
        "OrderEmailQueue",
        "VisibilityTimeout: 360",
        "VisibilityTimeout: 300",
    );
    let found = violations(&template).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        found,
        ["EmailWorkerFunction.EmailQueue: OrderEmailQueue hides a message 300 s, under 6 x EmailWorkerFunction's timeout of 60 s"]
    );
}

#[test]
fn raising_a_function_timeout_without_its_queue_is_refused() {
    let template = edited("AuditWorkerFunction", "Timeout: 30", "Timeout: 31");
    let found = violations(&template).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0]
        .starts_with("AuditWorkerFunction.AuditQueue: OrderAuditQueue hides a message 180 s"));
}

#[test]
fn a_queue_left_at_the_default_visibility_timeout_is_refused() {
    let template = edited("OrderAuditQueue", "      VisibilityTimeout: 180\n", "");
    let found = violations(&template).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("hides a message 30 s"), "{found:?}");
}

#[test]
fn an_event_source_that_cannot_be_followed_is_an_error_not_a_pass() {
    let template = edited(
        "EmailWorkerFunction",
        "Queue: !GetAtt OrderEmailQueue.Arn",
        "Queue: arn:aws:sqs:us-east-1:123456789012:elsewhere",
    );
    let error = violations(&template).expect_err("an unfollowable reference must not pass");
    assert!(error.contains("EmailWorkerFunction.EmailQueue"), "{error}");
}

// ---------------------------------------------------------------- samconfig.toml

/// One environment's `parameter_overrides` in infra/samconfig.toml, by name.
fn overrides(config: &toml::Table, env: &str) -> Vec<(String, String)> {
    let list = config
        .get(env)
        .and_then(|e| e.get("deploy"))
        .and_then(|d| d.get("parameters"))
        .and_then(|p| p.get("parameter_overrides"))
        .and_then(toml::Value::as_array)
        .unwrap_or_else(|| {
            panic!("samconfig.toml: no [{env}.deploy.parameters] parameter_overrides list")
        });
    list.iter()
        .map(|item| {
            let text = item
                .as_str()
                .unwrap_or_else(|| panic!("{env}: {item:?} is not a string"));
            let (name, value) = text
                .split_once('=')
                .unwrap_or_else(|| panic!("{env}: {text} is not Name=value"));
            (name.to_owned(), value.to_owned())
        })
        .collect()
}

/// infra/samconfig.toml: every environment's overrides are parameters of the
/// template, each value within the parameter's AllowedValues and bounds,
/// every parameter without a default given, and the template's deploy Rules met.
#[test]
fn each_environments_samconfig_fits_the_template() {
    let template = parse(&template_text());
    let declared = template["Parameters"]
        .as_mapping()
        .expect("the template declares parameters");
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../infra/samconfig.toml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let config: toml::Table = text
        .parse()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    for env in ["dev", "staging", "prod"] {
        let given = overrides(&config, env);
        let value_of = |name: &str| {
            given
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(
            value_of("Environment"),
            Some(env),
            "{env} deploys Environment={env}"
        );
        for (name, value) in &given {
            let parameter = declared.get(name.as_str()).unwrap_or_else(|| {
                panic!("{env} sets {name}, which the template does not declare")
            });
            if let Some(allowed) = parameter.get("AllowedValues").and_then(Value::as_sequence) {
                let allowed: Vec<String> = allowed
                    .iter()
                    .map(|v| {
                        v.as_str().map(str::to_owned).unwrap_or_else(|| {
                            serde_yaml_ng::to_string(v)
                                .unwrap_or_default()
                                .trim()
                                .to_owned()
                        })
                    })
                    .collect();
                assert!(
                    allowed.iter().any(|a| a == value),
                    "{env}: {name}={value} is not one of {allowed:?}"
                );
            }
            if parameter.get("Type").and_then(Value::as_str) == Some("Number") {
                let number: u64 = value
                    .parse()
                    .unwrap_or_else(|_| panic!("{env}: {name}={value} is not a number"));
                let bound = |key: &str| parameter.get(key).and_then(Value::as_u64);
                assert!(
                    bound("MinValue").is_none_or(|min| number >= min),
                    "{env}: {name} below its MinValue"
                );
                assert!(
                    bound("MaxValue").is_none_or(|max| number <= max),
                    "{env}: {name} above its MaxValue"
                );
            }
        }
        for (name, parameter) in declared {
            let name = name.as_str().unwrap_or_default();
            if parameter.get("Default").is_none() {
                assert!(
                    value_of(name).is_some(),
                    "{env} must set {name}: it has no default"
                );
            }
        }
        if env == "prod" {
            assert!(
                value_of("AlertEmail").is_some_and(|v| !v.is_empty()),
                "the template's ProdAlertsReachSomeone rule needs an AlertEmail for prod"
            );
        }
        if env != "dev" {
            assert_ne!(
                value_of("RequireSignIn"),
                Some("false"),
                "the template's SignInIsOffOnlyInDev rule: {env} must require sign-in"
            );
        }
    }
}

/// checkov runs in `make lint` and fails on any finding; a finding may be
/// skipped only in the template, next to the resource, with why.
#[test]
fn every_skipped_checkov_finding_says_why() {
    let template = parse(&template_text());
    let resources = template["Resources"].as_mapping().expect("resources");
    let mut skipped = 0;
    for (id, resource) in resources {
        let skips = resource
            .get("Metadata")
            .and_then(|m| m.get("checkov"))
            .and_then(|c| c.get("skip"))
            .and_then(Value::as_sequence);
        for skip in skips.into_iter().flatten() {
            let check = skip.get("id").and_then(Value::as_str).unwrap_or_default();
            let why = skip
                .get("comment")
                .and_then(Value::as_str)
                .unwrap_or_default();
            assert!(check.starts_with("CKV_"), "{id:?}: a skip names no check");
            assert!(
                why.len() >= 40,
                "{id:?} skips {check} without a reason: {why:?}"
            );
            skipped += 1;
        }
    }
    assert!(skipped > 0, "the skips are read from Metadata.checkov.skip");
}

// ---------------------------------------------------------------- tags

/// The tags every taggable resource carries: Project, Environment and
/// CostCentre, the last two the template's parameters.
const PROJECT: &str = "order-fleet";

/// How a resource type takes tags: its CloudFormation schema's `tagProperty`.
#[derive(Debug, Clone, Copy)]
enum Shape {
    /// `Tags: [{Key, Value}, …]`.
    List,
    /// A mapping of key to value, under this property (Cognito's `UserPoolTags`).
    Map(&'static str),
}

/// Every type of the template that takes tags, by its schema (cfn-lint's copy
/// of them says `"taggable": true`). Serverless functions take theirs from
/// `Globals.Function`, see [`function_tag_violations`].
const TAGGABLE: &[(&str, Shape)] = &[
    ("AWS::ApiGateway::RestApi", Shape::List),
    ("AWS::ApiGateway::Stage", Shape::List),
    ("AWS::CloudWatch::Alarm", Shape::List),
    ("AWS::CloudWatch::Dashboard", Shape::List),
    ("AWS::Cognito::UserPool", Shape::Map("UserPoolTags")),
    ("AWS::DynamoDB::Table", Shape::List),
    ("AWS::IAM::Role", Shape::List),
    ("AWS::KMS::Key", Shape::List),
    ("AWS::Logs::LogGroup", Shape::List),
    ("AWS::SNS::Topic", Shape::List),
    ("AWS::SQS::Queue", Shape::List),
    ("AWS::WAFv2::WebACL", Shape::List),
];

/// Types whose schema takes no tags.
const UNTAGGABLE: &[&str] = &[
    "AWS::ApiGateway::Account",
    "AWS::ApiGateway::Authorizer",
    "AWS::ApiGateway::Deployment",
    "AWS::ApiGateway::GatewayResponse",
    "AWS::ApiGateway::Method",
    "AWS::ApiGateway::Resource",
    "AWS::Cognito::UserPoolClient",
    "AWS::KMS::Alias",
    "AWS::Lambda::Permission",
    "AWS::SNS::Subscription",
    "AWS::SNS::TopicPolicy",
    "AWS::SQS::QueuePolicy",
    "AWS::WAFv2::WebACLAssociation",
];

/// What a tag's value must be: `order-fleet`, or `!Ref <Parameter>`.
fn tag_value_problem(key: &str, value: Option<&Value>) -> Option<String> {
    let Some(value) = value else {
        return Some(format!("no {key} tag"));
    };
    let fits = match key {
        "Project" => value.as_str() == Some(PROJECT),
        parameter => referenced(value).as_deref() == Some(parameter),
    };
    let wanted = match key {
        "Project" => PROJECT.to_owned(),
        parameter => format!("!Ref {parameter}"),
    };
    (!fits).then(|| format!("its {key} tag is {value:?}, not {wanted}"))
}

/// The three tags' problems in `tags`, a list of `{Key, Value}` or a mapping,
/// as `shape` wants.
fn tags_problems(tags: Option<&Value>, shape: Shape) -> Vec<String> {
    let (property, found): (&str, Option<Vec<(String, &Value)>>) = match shape {
        Shape::List => (
            "Tags",
            tags.and_then(Value::as_sequence).and_then(|list| {
                list.iter()
                    .map(|tag| Some((tag.get("Key")?.as_str()?.to_owned(), tag.get("Value")?)))
                    .collect()
            }),
        ),
        Shape::Map(property) => (
            property,
            tags.and_then(Value::as_mapping).and_then(|map| {
                map.iter()
                    .map(|(key, value)| Some((key.as_str()?.to_owned(), value)))
                    .collect()
            }),
        ),
    };
    let Some(found) = found else {
        let wanted = match shape {
            Shape::List => "a list of {Key, Value}",
            Shape::Map(_) => "a mapping of key to value",
        };
        return vec![match tags {
            None => format!("no {property}"),
            Some(_) => format!("{property} is not {wanted}"),
        }];
    };
    ["Project", "Environment", "CostCentre"]
        .iter()
        .filter_map(|key| {
            let value = found.iter().find(|(k, _)| k == key).map(|(_, v)| *v);
            tag_value_problem(key, value)
        })
        .collect()
}

/// Serverless functions: SAM gives each `Globals.Function.Tags` merged with
/// its own (its own win), and `PropagateTags` puts them on what SAM generates
/// for it as well.
fn function_tag_violations(template: &Value, id: &str, function: &Value) -> Vec<String> {
    let globals = template.get("Globals").and_then(|g| g.get("Function"));
    let own = function.get("Properties");
    let setting = |key: &str| {
        own.and_then(|p| p.get(key))
            .or_else(|| globals.and_then(|g| g.get(key)))
    };
    let mut tags = serde_yaml_ng::Mapping::new();
    for source in [globals, own] {
        let source_tags = source.and_then(|s| s.get("Tags"));
        if let Some(map) = source_tags.and_then(Value::as_mapping) {
            tags.extend(map.iter().map(|(k, v)| (k.clone(), v.clone())));
        } else if source_tags.is_some() {
            return vec![format!("{id}: Tags is not a mapping of key to value")];
        }
    }
    let tags = (!tags.is_empty()).then_some(Value::Mapping(tags));
    let mut found: Vec<String> = tags_problems(tags.as_ref(), Shape::Map("Tags"))
        .into_iter()
        .map(|problem| format!("{id}: {problem}"))
        .collect();
    if setting("PropagateTags").and_then(Value::as_bool) != Some(true) {
        found.push(format!(
            "{id}: PropagateTags is not true (SAM's generated resources go untagged)"
        ));
    }
    found
}

/// Every resource that should carry the three tags and does not, as messages;
/// an error for a resource type this test does not know.
fn tag_violations(template: &Value) -> Result<Vec<String>, String> {
    let resources = template
        .get("Resources")
        .and_then(Value::as_mapping)
        .ok_or("the template has no Resources")?;
    let mut found = Vec::new();
    for (id, resource) in resources {
        let id = id.as_str().unwrap_or_default();
        let kind = resource
            .get("Type")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("{id} has no Type"))?;
        if kind == "AWS::Serverless::Function" {
            found.extend(function_tag_violations(template, id, resource));
        } else if let Some((_, shape)) = TAGGABLE.iter().find(|(t, _)| *t == kind) {
            let property = match shape {
                Shape::List => "Tags",
                Shape::Map(property) => property,
            };
            let tags = resource.get("Properties").and_then(|p| p.get(property));
            found.extend(
                tags_problems(tags, *shape)
                    .into_iter()
                    .map(|problem| format!("{id}: {problem}")),
            );
        } else if !UNTAGGABLE.contains(&kind) {
            return Err(format!(
                "{id}: {kind} is in neither TAGGABLE nor UNTAGGABLE: look up its schema's tagging"
            ));
        }
    }
    Ok(found)
}

/// The template with `from` replaced by `to`, `from` occurring exactly once.
fn edited_once(from: &str, to: &str) -> Value {
    let text = template_text();
    assert_eq!(text.matches(from).count(), 1, "`{from}` must occur once");
    parse(&text.replacen(from, to, 1))
}

#[test]
fn every_taggable_resource_carries_the_project_environment_and_cost_centre() {
    let template = parse(&template_text());
    assert_eq!(tag_violations(&template), Ok(Vec::new()));
    let resources = template["Resources"].as_mapping().expect("resources");
    let tagged = resources
        .values()
        .filter(|r| {
            let kind = r["Type"].as_str().unwrap_or_default();
            kind == "AWS::Serverless::Function" || TAGGABLE.iter().any(|(t, _)| *t == kind)
        })
        .count();
    assert!(tagged >= 40, "{tagged} tagged resources");
    let cost_centre = &template["Parameters"]["CostCentre"];
    assert_eq!(cost_centre["Type"].as_str(), Some("String"));
    assert!(cost_centre["AllowedPattern"].as_str().is_some());
}

#[test]
fn a_resource_missing_a_tag_is_refused() {
    let template = edited(
        "IdempotencyTable",
        "        - {Key: CostCentre, Value: !Ref CostCentre}\n",
        "",
    );
    assert_eq!(
        tag_violations(&template),
        Ok(vec!["IdempotencyTable: no CostCentre tag".to_owned()])
    );
}

#[test]
fn a_tag_with_a_literal_environment_is_refused() {
    let template = edited(
        "OutboxUnreadableAlarm",
        "{Key: Environment, Value: !Ref Environment}",
        "{Key: Environment, Value: prod}",
    );
    let found = tag_violations(&template).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("OutboxUnreadableAlarm: its Environment tag is"),
        "{found:?}"
    );
}

#[test]
fn a_user_pool_tagged_as_a_list_is_refused() {
    // Cognito takes a mapping, UserPoolTags; `Tags` is not its property.
    let template = edited(
        "CustomerPool",
        "      UserPoolTags:\n        Project: order-fleet\n        Environment: !Ref Environment\n        CostCentre: !Ref CostCentre\n",
        "      Tags:\n        - {Key: Project, Value: order-fleet}\n        - {Key: Environment, Value: !Ref Environment}\n        - {Key: CostCentre, Value: !Ref CostCentre}\n",
    );
    assert_eq!(
        tag_violations(&template),
        Ok(vec!["CustomerPool: no UserPoolTags".to_owned()])
    );
}

#[test]
fn functions_without_the_global_tags_or_their_propagation_are_refused() {
    let template = edited_once(
        "      CostCentre: !Ref CostCentre\n    PropagateTags: true\n",
        "      CostCentre: !Ref CostCentre\n",
    );
    let found = tag_violations(&template).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(found.len(), 4, "one per function: {found:?}");
    assert!(
        found.iter().all(|f| f.contains("PropagateTags")),
        "{found:?}"
    );

    let template = edited_once("    Tags:\n      Project: order-fleet\n", "    Tags:\n");
    let found = tag_violations(&template).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        found.len() == 4
            && found
                .iter()
                .any(|f| f == "OrderApiFunction: no Project tag"),
        "{found:?}"
    );
}

#[test]
fn a_resource_type_the_table_does_not_know_is_an_error_not_a_pass() {
    let template = edited_once(
        "\nOutputs:\n",
        "  Parameter:\n    Type: AWS::SSM::Parameter\n    Properties:\n      Type: String\n      Value: x\n\nOutputs:\n",
    );
    let error = tag_violations(&template).expect_err("an unknown type must not pass");
    assert!(error.contains("AWS::SSM::Parameter"), "{error}");
}

/// `make deploy` tags the stack too (samconfig.toml's `tags`): CloudFormation
/// puts a stack's tags on every resource it creates that takes tags, so what
/// SAM generates without them (the event source mappings, the schedule's
/// rule). Same three, same values.
#[test]
fn each_environments_stack_tags_are_the_resources_tags() {
    let template = parse(&template_text());
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../infra/samconfig.toml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let config: toml::Table = text
        .parse()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let default_cost_centre = template["Parameters"]["CostCentre"]["Default"]
        .as_str()
        .expect("CostCentre has a default");
    for env in ["dev", "staging", "prod"] {
        let cost_centre = overrides(&config, env)
            .into_iter()
            .find(|(name, _)| name == "CostCentre")
            .map_or_else(|| default_cost_centre.to_owned(), |(_, value)| value);
        let tags: Vec<&str> = config[env]["deploy"]["parameters"]
            .get("tags")
            .and_then(toml::Value::as_array)
            .unwrap_or_else(|| panic!("samconfig.toml: no [{env}.deploy.parameters] tags list"))
            .iter()
            .map(|tag| tag.as_str().unwrap_or_default())
            .collect();
        assert_eq!(
            tags,
            [
                format!("Project={PROJECT}"),
                format!("Environment={env}"),
                format!("CostCentre={cost_centre}"),
            ],
            "{env}'s stack tags"
        );
    }
}
