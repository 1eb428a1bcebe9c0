//! The committed OpenAPI document is the one the code generates: clients
//! generate from the file, so it must never drift. `UPDATE_OPENAPI=1 cargo
//! test -p order-api --test openapi` rewrites it after a change.

use std::path::Path;

#[test]
fn the_committed_openapi_document_is_the_one_the_code_generates() {
    let generated = order_api::openapi::document();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi.json");
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &generated).unwrap_or_else(|e| panic!("writing {path:?}: {e}"));
    }
    let committed =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {path:?}: {e}"));
    assert!(
        committed == generated,
        "{} is out of date: run `UPDATE_OPENAPI=1 cargo test -p order-api --test openapi` and commit it",
        path.display()
    );
    let document: serde_json::Value = serde_json::from_str(&generated).expect("JSON");
    assert_eq!(document["openapi"], "3.1.0");
    let responses = &document["paths"]["/order"]["post"]["responses"];
    for status in [
        "200", "400", "401", "403", "404", "405", "409", "413", "415", "422", "429", "500",
    ] {
        assert!(
            responses[status]["content"]["application/json"]["schema"].is_object(),
            "status {status} has a body schema: {responses:#}"
        );
    }
}
