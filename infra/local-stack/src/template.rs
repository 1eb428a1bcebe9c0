//! `infra/template.yaml` read into the resources the local stack consists of.
//!
//! The template is the one source of truth: names, keys, indexes, queue
//! attributes, redrive and queue policies, subscriptions all come from here,
//! with `${Environment}`, `!Ref` and `!GetAtt` resolved to real values. Resource
//! types the local stack does not build (functions, roles, alarms) are skipped,
//! so the template can grow into the full production stack; resources whose
//! `Condition` is false are skipped, as CloudFormation would.

use std::collections::BTreeMap;
use std::path::Path;

use serde_yaml_ng::{Mapping, Value as Yaml};

use crate::intrinsics::{Resolver, TemplateError};
use crate::properties::{attributes, function, object, queue, queue_ref, subscription, table};
use crate::spec::{Params, Template, TopicSpec};
use crate::LocalError;

impl Template {
    /// Reads and resolves the template at `path`.
    pub fn load(path: &Path, params: &Params) -> Result<Template, LocalError> {
        let text = std::fs::read_to_string(path).map_err(|source| LocalError::ReadTemplate {
            path: path.to_owned(),
            source,
        })?;
        Template::parse(&text, params).map_err(|source| LocalError::Template {
            path: path.to_owned(),
            source,
        })
    }

    pub fn parse(text: &str, params: &Params) -> Result<Template, TemplateError> {
        let doc: Yaml = serde_yaml_ng::from_str(text)
            .map_err(|e| TemplateError::new("template", format!("not valid YAML: {e}")))?;
        let empty = Mapping::new();
        let section = |name: &str| doc.get(name).and_then(Yaml::as_mapping).unwrap_or(&empty);
        let resources = section("Resources");

        let mut resolver = Resolver::default();
        resolver.add_ref("AWS::Region", &params.region);
        resolver.add_ref("AWS::AccountId", &params.account_id);
        resolver.add_ref("AWS::Partition", "aws");
        resolver.add_ref("AWS::URLSuffix", "amazonaws.com");
        let mut sender_email = None;
        for (name, declared) in section("Parameters") {
            let name = name.as_str().unwrap_or_default();
            let value = match name {
                "Environment" => Some(params.environment.clone()),
                "SenderEmail" => Some(params.sender_email.clone()),
                _ => declared.get("Default").map(yaml_scalar),
            };
            let value = value.ok_or_else(|| {
                TemplateError::new(format!("Parameters.{name}"), "has no value and no Default")
            })?;
            if name == "SenderEmail" {
                sender_email = Some(value.clone());
            }
            resolver.add_ref(name, value);
        }

        for (name, definition) in section("Conditions") {
            resolver.add_condition(name.as_str().unwrap_or_default(), definition);
        }
        // A resource whose `Condition` is false does not exist, as in CloudFormation.
        let mut active = Mapping::new();
        for (id, resource) in resources {
            let condition = resource.get("Condition").and_then(Yaml::as_str);
            let at = format!("Resources.{}.Condition", id.as_str().unwrap_or_default());
            if condition.map_or(Ok(true), |c| resolver.condition(c, &at))? {
                active.insert(id.clone(), resource.clone());
            }
        }
        let resources = &active;

        // Names first: every ARN, and so every reference, is built from one.
        let named = |id: &str, props: &Yaml, key: &str| -> Result<String, TemplateError> {
            let at = format!("Resources.{id}.Properties.{key}");
            let value = props.get(key).ok_or_else(|| {
                TemplateError::new(&at, "missing: the local stack needs explicit names")
            })?;
            resolver.string(value, &at)
        };
        let mut names = BTreeMap::new();
        for (id, kind, props) in typed(resources) {
            let (p, a) = (&params.region, &params.account_id);
            match kind {
                "AWS::DynamoDB::Table" => {
                    let name = named(id, props, "TableName")?;
                    let arn = format!("arn:aws:dynamodb:{p}:{a}:table/{name}");
                    names.insert(id, (name, arn));
                }
                "AWS::SNS::Topic" => {
                    let name = named(id, props, "TopicName")?;
                    let arn = format!("arn:aws:sns:{p}:{a}:{name}");
                    names.insert(id, (name, arn));
                }
                "AWS::SQS::Queue" => {
                    let name = named(id, props, "QueueName")?;
                    let arn = format!("arn:aws:sqs:{p}:{a}:{name}");
                    names.insert(id, (name, arn));
                }
                _ => {}
            }
        }
        for (id, (name, arn)) in &names {
            let kind = resources[*id]["Type"].as_str().unwrap_or_default();
            // What `Ref` returns differs by type; a queue's is its URL, known only
            // once it exists, so a queue `Ref` is resolved by the QueuePolicy code.
            match kind {
                "AWS::DynamoDB::Table" => resolver.add_ref(id, name),
                "AWS::SNS::Topic" => {
                    resolver.add_ref(id, arn);
                    resolver.add_attr(id, "TopicArn", arn);
                    resolver.add_attr(id, "TopicName", name);
                }
                _ => resolver.add_attr(id, "QueueName", name),
            }
            resolver.add_attr(id, "Arn", arn);
        }

        let mut template = Template {
            tables: Vec::new(),
            topics: Vec::new(),
            queues: Vec::new(),
            subscriptions: Vec::new(),
            functions: Vec::new(),
            sender_email,
        };
        let mut policies = Vec::new();
        for (id, kind, props) in typed(resources) {
            let at = format!("Resources.{id}.Properties");
            match kind {
                "AWS::DynamoDB::Table" => {
                    let props = resolver.resolve(props, &at)?;
                    template.tables.push(table(id, props, &at)?);
                }
                "AWS::SNS::Topic" => {
                    let (name, arn) = names[id].clone();
                    let props = object(resolver.resolve(props, &at)?, &at)?;
                    if props.contains_key("Subscription") {
                        return Err(TemplateError::new(
                            &at,
                            "inline Subscription is not supported; use AWS::SNS::Subscription",
                        ));
                    }
                    let attributes = attributes(props, &["TopicName", "Tags"], &at)?;
                    let logical_id = id.to_owned();
                    template.topics.push(TopicSpec {
                        logical_id,
                        name,
                        arn,
                        attributes,
                    });
                }
                "AWS::SQS::Queue" => {
                    let (name, arn) = names[id].clone();
                    let props = resolver.resolve(props, &at)?;
                    template.queues.push(queue(id, name, arn, props, &at)?);
                }
                "AWS::SNS::Subscription" => {
                    let props = object(resolver.resolve(props, &at)?, &at)?;
                    template.subscriptions.push(subscription(id, props, &at)?);
                }
                "AWS::Lambda::Function" => {
                    template
                        .functions
                        .extend(function(&resolver, id, props, &at)?);
                }
                "AWS::Serverless::Function" => {
                    let props = crate::globals::with_function_globals(&doc, props);
                    template
                        .functions
                        .extend(function(&resolver, id, &props, &at)?);
                }
                "AWS::SQS::QueuePolicy" => {
                    let document = props
                        .get("PolicyDocument")
                        .ok_or_else(|| TemplateError::new(&at, "missing PolicyDocument"))?;
                    let document = resolver.resolve(document, &format!("{at}.PolicyDocument"))?;
                    for target in props
                        .get("Queues")
                        .and_then(Yaml::as_sequence)
                        .into_iter()
                        .flatten()
                    {
                        policies.push((
                            queue_ref(target, &format!("{at}.Queues"))?,
                            document.clone(),
                        ));
                    }
                }
                _ => {}
            }
        }
        for (queue_id, document) in policies {
            let queue = template
                .queues
                .iter_mut()
                .find(|q| q.logical_id == queue_id);
            let queue = queue.ok_or_else(|| {
                TemplateError::new("QueuePolicy", format!("{queue_id} is not a queue"))
            })?;
            if queue.policy.replace(document).is_some() {
                return Err(TemplateError::new(
                    "QueuePolicy",
                    format!("{queue_id} is named by two queue policies; SQS keeps only one"),
                ));
            }
        }
        Ok(template)
    }
}

/// Every resource as (logical id, type, properties).
fn typed(resources: &Mapping) -> impl Iterator<Item = (&str, &str, &Yaml)> {
    static NONE: Yaml = Yaml::Null;
    resources.iter().filter_map(|(id, resource)| {
        let kind = resource.get("Type")?.as_str()?;
        Some((
            id.as_str()?,
            kind,
            resource.get("Properties").unwrap_or(&NONE),
        ))
    })
}

fn yaml_scalar(value: &Yaml) -> String {
    match value {
        Yaml::String(s) => s.clone(),
        other => serde_yaml_ng::to_string(other)
            .unwrap_or_default()
            .trim()
            .to_owned(),
    }
}

#[cfg(test)]
mod tests {
    //! Reading a template: conditions, references between resources, refusals.

    use super::*;

    fn params() -> Params {
        Params {
            environment: "local".to_owned(),
            sender_email: "orders@example.com".to_owned(),
            region: "us-east-1".to_owned(),
            account_id: "123456789012".to_owned(),
        }
    }

    const TEMPLATE: &str = r#"
    Parameters:
      Environment: {Type: String}
      AlertEmail: {Type: String, Default: ''}
    Conditions:
      HasAlertEmail: !Not [!Equals [!Ref AlertEmail, '']]
    Resources:
      Topic:
        Type: AWS::SNS::Topic
        Properties: {TopicName: !Sub '${Environment}-T'}
      DLQ:
        Type: AWS::SQS::Queue
        Properties: {QueueName: !Sub '${Environment}-DLQ'}
      Queue:
        Type: AWS::SQS::Queue
        Properties:
          QueueName: !Sub '${Environment}-Q'
          VisibilityTimeout: 60
          RedrivePolicy: {deadLetterTargetArn: !GetAtt DLQ.Arn, maxReceiveCount: '5'}
      Policy:
        Type: AWS::SQS::QueuePolicy
        Properties:
          Queues: [!Ref Queue]
          PolicyDocument: {Statement: [{Resource: !GetAtt Queue.Arn, Condition: {ArnEquals: {aws:SourceArn: !Ref Topic}}}]}
      Mail:
        Type: AWS::SNS::Subscription
        Condition: HasAlertEmail
        Properties: {Protocol: email, TopicArn: !Ref Topic, Endpoint: !Ref AlertEmail}
      Function:
        Type: AWS::Lambda::Function
        Properties: {Role: !GetAtt NotHere.Arn}
    "#;

    #[test]
    fn references_between_resources_resolve_to_their_arns() {
        let template = Template::parse(TEMPLATE, &params()).expect("parses");
        let queue = template.queue("Queue").expect("queue");
        assert_eq!(queue.name, "local-Q");
        assert_eq!(queue.attributes["VisibilityTimeout"], "60");
        let redrive = queue.redrive.as_ref().expect("redrive");
        assert_eq!(
            redrive.dead_letter_target_arn,
            "arn:aws:sqs:us-east-1:123456789012:local-DLQ"
        );
        assert_eq!(redrive.max_receive_count, 5);
        let policy = queue
            .policy
            .as_ref()
            .expect("the QueuePolicy lands on its queue");
        let statement = &policy["Statement"][0];
        assert_eq!(
            statement["Resource"],
            "arn:aws:sqs:us-east-1:123456789012:local-Q"
        );
        assert_eq!(
            statement["Condition"]["ArnEquals"]["aws:SourceArn"],
            "arn:aws:sns:us-east-1:123456789012:local-T"
        );
    }

    #[test]
    fn a_resource_whose_condition_is_false_is_not_built_and_other_types_are_ignored() {
        let template = Template::parse(TEMPLATE, &params()).expect("parses");
        assert_eq!(template.subscriptions, []);
        assert_eq!(template.queues.len(), 2);
    }

    #[test]
    fn a_queue_without_a_name_is_refused_with_its_location() {
        let text =
            "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties: {VisibilityTimeout: 1}\n";
        let err = Template::parse(text, &params()).expect_err("no QueueName");
        assert_eq!(err.at, "Resources.Q.Properties.QueueName");
    }
}
