//! The one template invariant cfn-guard cannot check, having no arithmetic
//! (infra/rules/ holds the others): a queue a Lambda function consumes hides a
//! received message for at least 6 x the function's timeout (AWS guidance), or
//! a batch still running becomes visible again and is handled twice. Read from
//! the SAM template itself: the SQS events of its serverless functions.

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
