//! `infra/template.yaml` read into the resources the local stack consists of,
//! intrinsics resolved. Resource types it does not build (roles, alarms, …)
//! are skipped, so the template can grow into the full production stack.

use std::path::Path;

use serde_yaml_ng::{Mapping, Value as Yaml};

use crate::intrinsics::{fail, text_of, Resolver, TemplateError};
use crate::spec::{
    FunctionSpec, Params, QueueSpec, SubscriptionSpec, TableSpec, Template, TopicSpec,
};
use crate::LocalError;

impl Template {
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
            .or_else(|e| fail("template", format!("not valid YAML: {e}")))?;
        let section = |name: &str| doc[name].as_mapping().into_iter().flatten();

        let mut resolver = Resolver::default();
        resolver.add_ref("AWS::Region", &params.region);
        resolver.add_ref("AWS::AccountId", &params.account_id);
        resolver.add_ref("AWS::Partition", "aws");
        resolver.add_ref("AWS::URLSuffix", "amazonaws.com");
        let mut template = Template::default();
        let sender = doc["Parameters"].get("SenderEmail");
        template.sender_email = sender.map(|_| params.sender_email.clone());
        for (name, declared) in section("Parameters") {
            let name = name.as_str().unwrap_or_default();
            let at = format!("Parameters.{name}");
            let value = match (name, declared.get("Default")) {
                ("Environment", _) => params.environment.clone(),
                ("SenderEmail", _) => params.sender_email.clone(),
                (_, Some(default)) => text_of(&resolver.resolve(default, &at)?),
                _ => return fail(&at, "has no value and no Default"),
            };
            resolver.add_ref(name, value);
        }
        for (name, definition) in section("Conditions") {
            resolver.add_condition(name.as_str().unwrap_or_default(), definition);
        }

        // Every resource that exists (its `Condition` holds), and the names of
        // tables, topics and queues, from which every ARN is built. A queue's
        // `Ref` is its URL, known only once it exists: only a QueuePolicy's
        // `Queues` may name one, which `queue_ids` resolves to its logical id.
        let mut resources = Vec::new();
        let mut queue_ids = resolver.clone();
        for (id, resource) in section("Resources") {
            let id = id.as_str().unwrap_or_default();
            let Some(kind) = resource["Type"].as_str() else {
                continue;
            };
            if let Some(condition) = resource["Condition"].as_str() {
                if !resolver.condition(condition, &format!("Resources.{id}.Condition"))? {
                    continue;
                }
            }
            let props = &resource["Properties"];
            resources.push((id, kind, props));
            let (key, service, prefix) = match kind {
                "AWS::DynamoDB::Table" => ("TableName", "dynamodb", "table/"),
                "AWS::SNS::Topic" => ("TopicName", "sns", ""),
                "AWS::SQS::Queue" => ("QueueName", "sqs", ""),
                _ => continue,
            };
            let at = format!("Resources.{id}.Properties.{key}");
            let Some(name) = props.get(key) else {
                return fail(&at, "missing: the local stack needs explicit names");
            };
            let name = resolver.string(name, &at)?;
            let (region, account) = (&params.region, &params.account_id);
            let arn = format!("arn:aws:{service}:{region}:{account}:{prefix}{name}");
            match kind {
                "AWS::DynamoDB::Table" => resolver.add_ref(id, &name),
                "AWS::SNS::Topic" => {
                    resolver.add_ref(id, &arn);
                    resolver.add_ref(&format!("{id}.TopicArn"), &arn);
                    resolver.add_ref(&format!("{id}.TopicName"), &name);
                }
                _ => {
                    resolver.add_ref(&format!("{id}.QueueName"), &name);
                    queue_ids.add_ref(id, id);
                }
            }
            resolver.add_ref(&format!("{id}.Arn"), arn);
        }

        for &(id, kind, props) in &resources {
            let at = format!("Resources.{id}.Properties");
            let (logical_id, arn) = (id.to_owned(), || resolver.lookup(&format!("{id}.Arn"), &at));
            match kind {
                "AWS::DynamoDB::Table" => template.tables.push(TableSpec {
                    logical_id,
                    ..resolver.read(props, &at)?
                }),
                "AWS::SNS::Topic" => template.topics.push(TopicSpec {
                    logical_id,
                    arn: arn()?,
                    ..resolver.read(props, &at)?
                }),
                "AWS::SQS::Queue" => template.queues.push(QueueSpec {
                    logical_id,
                    arn: arn()?,
                    ..resolver.read(props, &at)?
                }),
                "AWS::SNS::Subscription" => template.subscriptions.push(SubscriptionSpec {
                    logical_id,
                    ..resolver.read(props, &at)?
                }),
                // Only what running its binary needs; one without a name is not run.
                "AWS::Serverless::Function" => {
                    let props = merged(&doc["Globals"]["Function"], props);
                    let keys = ["FunctionName", "MemorySize", "Environment"];
                    let needed = keys.map(|k| Some((k.into(), props.get(k)?.clone())));
                    let needed: Mapping = needed.into_iter().flatten().collect();
                    if needed.contains_key("FunctionName") {
                        template.functions.push(FunctionSpec {
                            logical_id,
                            ..resolver.read(&Yaml::Mapping(needed), &at)?
                        });
                    }
                }
                _ => {}
            }
        }
        // A queue policy lands on the queues it names, wherever it is declared.
        for &(id, _, props) in resources.iter().filter(|r| r.1 == "AWS::SQS::QueuePolicy") {
            let at = format!("Resources.{id}.Properties");
            let Some(document) = props.get("PolicyDocument") else {
                return fail(&at, "missing PolicyDocument");
            };
            let document = resolver.resolve(document, &format!("{at}.PolicyDocument"))?;
            let at = format!("{at}.Queues");
            let queues = queue_ids.resolve(&props["Queues"], &at)?;
            for queue_id in queues.as_array().into_iter().flatten().map(text_of) {
                let mut queues = template.queues.iter_mut();
                let Some(queue) = queues.find(|q| q.logical_id == queue_id) else {
                    return fail(&at, format!("{queue_id} is not a queue"));
                };
                if queue.policy.replace(document.clone()).is_some() {
                    let twice = "is named by two queue policies; SQS keeps only one";
                    return fail(&at, format!("{queue_id} {twice}"));
                }
            }
        }
        Ok(template)
    }
}

/// `own` with SAM's `Globals.Function` (`global`) merged in as SAM does: its own
/// win, and mappings (`Environment.Variables`) merge key by key.
fn merged(global: &Yaml, own: &Yaml) -> Yaml {
    let (Yaml::Mapping(global), Yaml::Mapping(own)) = (global, own) else {
        return own.clone();
    };
    let mut out = global.clone();
    for (key, value) in own {
        let inherited = global.get(key).unwrap_or(&Yaml::Null);
        out.insert(key.clone(), merged(inherited, value));
    }
    Yaml::Mapping(out)
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

    #[test]
    fn a_function_inherits_the_globals_and_its_own_settings_win() {
        let doc: Yaml = serde_yaml_ng::from_str(
            "Globals:\n  Function:\n    MemorySize: 128\n    Environment:\n      Variables:\n        ENVIRONMENT: dev\n        RUST_LOG: info\n",
        )
        .expect("YAML");
        let own: Yaml = serde_yaml_ng::from_str(
            "MemorySize: 512\nEnvironment:\n  Variables:\n    RUST_LOG: debug\n    ORDERS_TABLE: t\n",
        )
        .expect("YAML");

        let props = merged(&doc["Globals"]["Function"], &own);

        assert_eq!(props["MemorySize"].as_u64(), Some(512));
        let variables = &props["Environment"]["Variables"];
        assert_eq!(variables["ENVIRONMENT"].as_str(), Some("dev"));
        assert_eq!(variables["RUST_LOG"].as_str(), Some("debug"));
        assert_eq!(variables["ORDERS_TABLE"].as_str(), Some("t"));
    }
}
