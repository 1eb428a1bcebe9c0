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
