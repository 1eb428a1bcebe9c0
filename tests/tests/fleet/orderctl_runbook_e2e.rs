//! The operators' docs, run: every `orderctl …` command of infra/README.md's
//! runbook ("Reading the alarms") and of README.md's "Operating it" blocks,
//! as written there — `<env>` the test stack's environment, `<orderId>` a
//! real order — against that stack on the local AWS. A command the CLI
//! cannot parse (clap's exit code 2) or that fails fails the test, so the
//! docs an on-call engineer copies from cannot drift from the CLI.
//!
//! Also the AWS CLI's options: `--region`, `--endpoint-url`, `--profile`
//! and `--output`, each as the SDK would take its variable.

use std::path::Path;

use crate::orderctl_support::{orderctl, orderctl_as_typed};
use fleet_tests::app::App;
use fleet_tests::local_aws::REGION;
use fleet_tests::probes::depth;
use fleet_tests::workers::order_event;
use fleet_tests::{LocalAws, Stack};
use serde_json::json;

/// Where in the docs commands are taken from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Spans {
    /// Code blocks and inline code: a runbook's table names its commands inline.
    All,
    /// Code blocks only: the prose around them shows variations for AWS.
    Blocks,
}

/// The `orderctl …` commands of the section `heading` of `file` (relative to
/// the workspace), each as written, less its comment and any redirection.
fn commands(file: &str, heading: &str, spans: Spans) -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let start = text
        .find(&format!("\n## {heading}\n"))
        .unwrap_or_else(|| panic!("no section {heading:?} in {file}"));
    let section = &text[start + 1..];
    let section = section[1..]
        .find("\n## ")
        .map_or(section, |end| &section[..end + 1]);
    let (mut found, mut prose, mut in_block) = (Vec::new(), String::new(), false);
    for line in section.lines() {
        if line.trim_start().starts_with("```") {
            in_block = !in_block;
        } else if in_block {
            // What the shell does with the output is not orderctl's part.
            let end = [" #", " > ", " | "]
                .iter()
                .filter_map(|cut| line.find(cut))
                .min()
                .unwrap_or(line.len());
            found.push(line[..end].trim().to_owned());
        } else {
            prose.push_str(line);
            prose.push(' ');
        }
    }
    if spans == Spans::All {
        // Inline code is every other piece between backticks.
        found.extend(prose.split('`').skip(1).step_by(2).map(str::to_owned));
    }
    found.retain(|command| command.starts_with("orderctl "));
    found
}

/// An order the API stored (and published), for `<orderId>`.
async fn an_order(app: &App) -> String {
    let body = json!({
        "customerName": "Ada Lovelace",
        "customerEmail": "runbook@example.com",
        "items": [{"productId": "PROD-001", "quantity": 1, "price": 9.99}]
    });
    let (status, answer) = app.post_order(&body.to_string(), None).await;
    assert_eq!(status, 200, "{answer}");
    answer["orderId"]
        .as_str()
        .unwrap_or_else(|| panic!("no order id in {answer}"))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_orderctl_command_of_the_runbook_and_the_readme_runs_as_written() {
    let runbook = commands("infra/README.md", "Reading the alarms", Spans::All);
    let readme = commands("README.md", "Operating it", Spans::Blocks);
    // The command the issue's newcomer copied, among the ones found.
    assert!(
        runbook.contains(&"orderctl --env <env> dlq peek email".to_owned()),
        "{runbook:#?}"
    );
    assert!(
        runbook.len() >= 8 && readme.len() >= 8,
        "{runbook:#?}\n{readme:#?}"
    );

    let local = LocalAws::shared();
    let stack = Stack::create(local).await;
    let app = App::spawn(&stack, &[]);
    let order_id = an_order(&app).await;
    // A dead letter for the runbook to find and move back (no worker runs).
    local
        .sqs()
        .send_message()
        .queue_url(&stack.email_dlq_url)
        .message_body(order_event(&stack, 1).to_json())
        .send()
        .await
        .unwrap_or_else(|e| panic!("sending to the email DLQ: {e}"));

    let mut failures = Vec::new();
    for written in runbook.iter().chain(&readme) {
        let command = written
            .replace("<env>", &stack.env)
            .replace("<orderId>", &order_id);
        assert!(
            !command.contains('<'),
            "a placeholder this test does not fill: {written}"
        );
        let args: Vec<&str> = command.split_whitespace().skip(1).collect();
        let run = orderctl_as_typed(&stack, &args, &[], &[]).await;
        match run.code {
            Some(0) => {}
            Some(2) if run.stderr.contains("pass --yes") => failures.push(format!(
                "{written}: asks first; write --yes or --dry-run\n{run:#?}"
            )),
            Some(2) => failures.push(format!(
                "{written}: not a command line orderctl takes\n{run:#?}"
            )),
            _ => failures.push(format!("{written}: failed\n{run:#?}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    // The runbook's redrive moved the dead letter back to its queue, beside
    // the order's own event (no worker consumes them).
    assert_eq!(depth(local, &stack.email_dlq_url).await, (0, 0));
    assert_eq!(depth(local, &stack.email_queue_url).await, (2, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_aws_cli_options_choose_the_region_the_endpoint_and_the_profile() {
    let local = LocalAws::shared();
    let stack = Stack::create(local).await;
    let email_queue = format!("{}-OrderEmailQueue", stack.env);

    // --output json before the command, as the AWS CLI takes it.
    let list = orderctl(&stack, &["--output", "json", "dlq", "list"], &[])
        .await
        .succeeded()
        .json();
    assert_eq!(list["deadLetterQueues"].as_array().map(Vec::len), Some(3));

    // moto keeps each region apart: the stack is not in eu-west-3.
    orderctl(&stack, &["--region", "eu-west-3", "dlq", "list"], &[])
        .await
        .failed_with(&format!("queue {email_queue} does not exist"));

    // --endpoint-url wins over AWS_ENDPOINT_URL; nobody listens there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port");
    let endpoint = format!("http://{closed}");
    orderctl(&stack, &["dlq", "list", "--endpoint-url", &endpoint], &[])
        .await
        .failed_with(&format!("cannot reach {endpoint}"));

    // --profile: the shared config's profile gives region, keys and endpoint.
    let config = std::env::temp_dir().join(format!("orderctl-{}-aws-config", stack.env));
    let profile = format!(
        "[profile ops]\nregion = {REGION}\nendpoint_url = {}\n\
         aws_access_key_id = test\naws_secret_access_key = test\n",
        stack.endpoint
    );
    std::fs::write(&config, profile).expect("writing the AWS config file");
    let config = config.to_string_lossy().into_owned();
    let unset = [
        "AWS_ENDPOINT_URL",
        "AWS_REGION",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
    ];
    let files = [
        ("AWS_CONFIG_FILE", config.as_str()),
        ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials"),
    ];
    orderctl_as_typed(&stack, &["--profile", "ops", "dlq", "list"], &unset, &files)
        .await
        .succeeded();
    orderctl_as_typed(&stack, &["dlq", "list"], &unset, &files)
        .await
        .failed_with("no AWS region");
    orderctl_as_typed(
        &stack,
        &["dlq", "list"],
        &unset,
        &[("AWS_PROFILE", "ops"), files[0], files[1]],
    )
    .await
    .succeeded();
}
