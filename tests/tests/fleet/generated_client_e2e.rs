//! The API through a client a real generator made from its OpenAPI document:
//! openapi-python-client (pinned in the project's venv) generates a Python
//! client from `order-api/openapi.json`, offline, and
//! `tests/generated_client/place_orders.py` uses it against the real
//! order-api on a test stack: an order placed with an `Idempotency-Key`, the
//! same order replayed, the key reused for another order, an invalid order
//! read back field by field.
//!
//! It fails when the document no longer generates cleanly (a warning means
//! the generator dropped part of it), when the client takes a per-status
//! class instead of the one `ErrorBody`, or when a call does not behave.
//!
//! What it cannot show: openapi-python-client maps every JSON number to
//! `float`, `format: decimal` included, so the Python models hold money as
//! floats (the C# generators the document is written for, NSwag and Kiota,
//! map it to `decimal`). What it does show is why that matters: a subtotal
//! the client computes in floating point is refused, never rounded.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};

use fleet_tests::app::App;
use fleet_tests::probes::stored_orders;
use fleet_tests::{repo_root, LocalAws, Stack};
use serde_json::Value;

/// The generator's settings: the package's name, and no formatting hook
/// (ruff would only restyle the code, and costs time).
const GENERATOR_CONFIG: &str = "package_name_override: order_client\npost_hooks: []\n";

fn run(command: &mut Command, what: &str) -> Output {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("running {what}: {e}"));
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Generates the client into `dir/order_client`.
fn generate_client(root: &Path, dir: &Path) {
    let generator = root.join(".venv/bin/openapi-python-client");
    assert!(
        generator.is_file(),
        "{} is missing: run `make venv`",
        generator.display()
    );
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("creating {dir:?}: {e}"));
    let config = dir.join("config.yml");
    std::fs::write(&config, GENERATOR_CONFIG).unwrap_or_else(|e| panic!("writing {config:?}: {e}"));
    let output = run(
        Command::new(&generator)
            .arg("generate")
            .arg("--path")
            .arg(root.join("order-api/openapi.json"))
            .args(["--meta", "none", "--overwrite"])
            .arg("--config")
            .arg(&config)
            .arg("--output-path")
            .arg(dir.join("order_client"))
            .env("PYTHONDONTWRITEBYTECODE", "1"),
        "openapi-python-client",
    );
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        !said.contains("Warning"),
        "openapi-python-client could not generate all of the document:\n{said}"
    );
    let models: BTreeSet<String> = std::fs::read_dir(dir.join("order_client/models"))
        .unwrap_or_else(|e| panic!("the generated client has no models: {e}"))
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".py") && name != "__init__.py")
        .collect();
    assert_eq!(
        models,
        [
            "error_body.py",
            "field_error.py",
            "order_confirmation.py",
            "order_item_request.py",
            "order_request.py"
        ]
        .map(String::from)
        .into(),
        "one model per named schema, none per status"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_generated_from_the_openapi_document_places_replays_and_reads_errors() {
    let root = repo_root();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("generated-client");
    generate_client(&root, &dir);

    let local = LocalAws::shared();
    let stack = Stack::create(local).await;
    // Without sign-in, as locally: the client's token is sent and ignored.
    let app = App::spawn(&stack, &[("AUTH_MODE", "none".to_owned())]);
    let output = run(
        Command::new(root.join(".venv/bin/python"))
            .arg(root.join("tests/generated_client/place_orders.py"))
            .arg(&app.address)
            .env("PYTHONPATH", &dir)
            .env("PYTHONDONTWRITEBYTECODE", "1"),
        "tests/generated_client/place_orders.py",
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let seen: Value = stdout
        .lines()
        .last()
        .and_then(|line| serde_json::from_str(line).ok())
        .unwrap_or_else(|| panic!("place_orders.py printed no JSON line:\n{stdout}"));
    let context = format!("{seen:#}\norder-api's log:\n{}", app.process.log_tail());

    // Placed, with the token where API Gateway's Cognito authorizer reads it.
    let placed = &seen["placed"];
    assert_eq!(placed["status"], 200, "{context}");
    assert_eq!(placed["model"], "OrderConfirmation", "{context}");
    let order_id = placed["orderId"].as_str().unwrap_or_default();
    assert!(uuid::Uuid::parse_str(order_id).is_ok(), "{context}");
    assert_eq!(
        placed["replayed"],
        Value::Null,
        "a first answer is no replay: {context}"
    );
    assert_eq!(
        seen["authorization"], "Bearer a-cognito-id-token",
        "{context}"
    );
    let body = seen["body"].as_str().unwrap_or_default();
    assert!(
        body.contains(r#""price":0.1,"#) && body.contains(r#""totalAmount":40.28"#),
        "money goes out as the number's shortest digits: {body}"
    );

    // Replayed: the same answer, marked, and nothing stored twice.
    let replay = &seen["replay"];
    assert_eq!(replay["status"], 200, "{context}");
    assert_eq!(replay["orderId"], order_id, "{context}");
    assert_eq!(replay["replayed"], "true", "{context}");
    assert_eq!(placed["createdAt"], replay["createdAt"], "{context}");

    // The key reused for another order: the one ErrorBody.
    let reused = &seen["keyReused"];
    assert_eq!(reused["status"], 422, "{context}");
    assert_eq!(reused["model"], "ErrorBody", "{context}");
    assert_eq!(reused["error"], "Idempotency key reused", "{context}");

    // Invalid: every violation, at its JSON path, in the same ErrorBody.
    let invalid = &seen["invalid"];
    assert_eq!(invalid["status"], 400, "{context}");
    assert_eq!(invalid["model"], "ErrorBody", "{context}");
    assert_eq!(invalid["error"], "Validation failed", "{context}");
    let fields = |answer: &Value| -> BTreeSet<String> {
        answer["errors"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| {
                assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()), "{e}");
                e["field"].as_str().unwrap_or_default().to_owned()
            })
            .collect()
    };
    assert_eq!(
        fields(invalid),
        ["customerName", "customerEmail", "items[0].quantity"]
            .map(String::from)
            .into(),
        "{context}"
    );

    // Money held as a float by this generator: arithmetic on it is refused.
    assert_eq!(
        seen["priceType"], "float",
        "openapi-python-client types money otherwise now: hold it in that type in place_orders.py"
    );
    let floating = &seen["floatSubtotal"];
    assert_eq!(floating["status"], 400, "{context}");
    assert_eq!(
        fields(floating),
        ["items[0].subtotal"].map(String::from).into(),
        "{context}"
    );

    let orders = stored_orders(local, &stack).await;
    assert_eq!(orders.len(), 1, "one order placed, once: {context}");
}
