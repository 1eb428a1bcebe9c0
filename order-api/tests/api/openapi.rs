//! The committed OpenAPI document is the one the code generates: clients
//! generate from the file, so it must never drift. `UPDATE_OPENAPI=1 cargo
//! test -p order-api --test api openapi::` rewrites it after a change.
//!
//! It is also checked for what the app team's generators (NSwag, Kiota)
//! need from it: money as `decimal`, one named schema per body, the sign-in
//! declared.

use std::path::Path;

use serde_json::{json, Value};

fn committed_document() -> Value {
    let generated = order_api::openapi::document();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi.json");
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &generated).unwrap_or_else(|e| panic!("writing {path:?}: {e}"));
    }
    let committed =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {path:?}: {e}"));
    assert!(
        committed == generated,
        "{} is out of date: run `UPDATE_OPENAPI=1 cargo test -p order-api --test api openapi::` and commit it",
        path.display()
    );
    serde_json::from_str(&generated).expect("JSON")
}

// No 409 since docs/decisions/0008: a request whose key is still in use
// by another finds the stored order and is answered with it.
const STATUSES: [&str; 11] = [
    "200", "400", "401", "403", "404", "405", "413", "415", "422", "429", "500",
];

#[test]
fn no_answer_says_a_keys_request_is_still_in_progress() {
    let document = committed_document();
    let responses = &document["paths"]["/order"]["post"]["responses"];
    assert!(responses.get("409").is_none(), "{responses:#}");
}

#[test]
fn the_committed_openapi_document_is_the_one_the_code_generates() {
    let document = committed_document();
    assert_eq!(document["openapi"], "3.1.0");
    let responses = &document["paths"]["/order"]["post"]["responses"];
    for status in STATUSES {
        assert!(
            responses[status]["content"]["application/json"]["schema"].is_object(),
            "status {status} has a body schema: {responses:#}"
        );
    }
}

#[test]
fn money_is_a_decimal_number_so_generated_clients_use_decimal() {
    let document = committed_document();
    let schemas = &document["components"]["schemas"];
    for money in [
        &schemas["OrderItemRequest"]["properties"]["price"],
        &schemas["OrderItemRequest"]["properties"]["subtotal"],
        &schemas["OrderRequest"]["properties"]["totalAmount"],
    ] {
        assert_eq!(money["format"], "decimal", "{money:#}");
        assert_eq!(money["multipleOf"], 0.01, "{money:#}");
        let types = &money["type"];
        assert!(
            *types == json!("number") || *types == json!(["number", "null"]),
            "{money:#}"
        );
    }
    let price = &schemas["OrderItemRequest"]["properties"]["price"];
    assert_eq!(price["exclusiveMinimum"], 0);
    assert_eq!(price["maximum"], 999999.99);
    let text = document.to_string();
    assert!(
        !text.contains("\"double\""),
        "no money, or anything, is a double"
    );
}

#[test]
fn every_body_is_one_named_schema_and_every_error_shares_one() {
    let document = committed_document();
    let operation = &document["paths"]["/order"]["post"];
    assert_eq!(operation["operationId"], "placeOrder");
    assert_eq!(
        operation["requestBody"]["content"]["application/json"]["schema"],
        json!({"$ref": "#/components/schemas/OrderRequest"})
    );
    for status in STATUSES {
        let schema = &operation["responses"][status]["content"]["application/json"]["schema"];
        let expected = if status == "200" {
            "OrderConfirmation"
        } else {
            "ErrorBody"
        };
        assert_eq!(
            *schema,
            json!({"$ref": format!("#/components/schemas/{expected}")}),
            "status {status}"
        );
    }
    let errors = &document["components"]["schemas"]["ErrorBody"]["properties"]["errors"];
    assert_eq!(
        errors["items"],
        json!({"$ref": "#/components/schemas/FieldError"})
    );
}

#[test]
fn the_cognito_sign_in_is_a_bearer_scheme_that_placing_an_order_requires() {
    let document = committed_document();
    let scheme = &document["components"]["securitySchemes"]["cognito"];
    assert_eq!(scheme["type"], "http");
    assert_eq!(scheme["scheme"], "bearer");
    assert_eq!(scheme["bearerFormat"], "JWT");
    let description = scheme["description"].as_str().unwrap_or_default();
    for words in ["ID token", "Authorization", "RequireSignIn=false"] {
        assert!(description.contains(words), "{description}");
    }
    assert_eq!(
        document["paths"]["/order"]["post"]["security"],
        json!([{"cognito": []}])
    );
}

#[test]
fn the_servers_are_the_local_api_and_a_deployed_stage() {
    let document = committed_document();
    let servers = &document["servers"];
    assert_eq!(servers[0]["url"], "http://127.0.0.1:3000");
    assert_eq!(
        servers[1]["url"],
        "https://{apiId}.execute-api.{region}.amazonaws.com/{stage}"
    );
    for variable in ["apiId", "region", "stage"] {
        assert!(
            servers[1]["variables"][variable]["default"].is_string(),
            "{variable} has a default: {servers:#}"
        );
    }
}
