//! The API against its own description: schemathesis (pinned in the
//! project's venv) generates requests from `order-api/openapi.json`, valid
//! and invalid, and sends them to the real order-api on a test stack. It
//! fails on any server error and on any answer the document does not allow
//! (status, content type, headers, body schema).
//!
//! The document requires the Cognito bearer token on `POST /order`, as the
//! deployed API does. schemathesis sends a made-up token (or, testing
//! negatively, none), and the local API, running without sign-in
//! (`AUTH_MODE=none`), ignores it: so the run leaves out schemathesis'
//! `ignored_auth` check. The sign-in is API Gateway's; auth_e2e.rs tests
//! what order-api does with the claims it passes on.

use std::process::Command;

use fleet_tests::app::App;
use fleet_tests::{repo_root, LocalAws, Stack};

/// Test cases per operation: enough to reach every status, within seconds.
const EXAMPLES: &str = "60";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_of_the_local_api_is_one_its_openapi_document_allows() {
    let local = LocalAws::shared();
    let stack = Stack::create(local).await;
    let app = App::spawn(&stack, &[("AUTH_MODE", "none".to_owned())]);
    let root = repo_root();
    let schemathesis = root.join(".venv/bin/schemathesis");
    assert!(
        schemathesis.is_file(),
        "{} is missing: run `make venv`",
        schemathesis.display()
    );
    let report = root.join("target/schemathesis");

    let run = Command::new(&schemathesis)
        .arg("run")
        .arg(root.join("order-api/openapi.json"))
        .args(["--url", &app.address])
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,\
             response_headers_conformance,response_schema_conformance",
        ])
        .args([
            "--max-examples",
            EXAMPLES,
            "--seed",
            "20261203",
            "--workers",
            "2",
        ])
        .args(["--report", "junit", "--report-dir"])
        .arg(&report)
        .args(["--no-color", "--generation-database", "none"])
        .env("SCHEMATHESIS_TELEMETRY", "false")
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", schemathesis.display()));

    let out = String::from_utf8_lossy(&run.stdout);
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        run.status.success(),
        "schemathesis found answers the document does not allow:\n{out}\n{err}\n\
         order-api's log:\n{}",
        app.process.log_tail()
    );
}
