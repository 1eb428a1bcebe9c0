//! Sign-in on `POST /order`, end to end: moto's cognito-idp issues a real ID
//! token for a user with a verified address; the real order-api binary in
//! Lambda mode (`AUTH_MODE=cognito`) gets the token's claims the way API
//! Gateway's Cognito authorizer passes them (`requestContext.authorizer.claims`)
//! and places the order as that user's own — or refuses it.

use fleet_tests::lambda::events::{api_gateway_event, with_claims};
use fleet_tests::probes::{stored_orders, PATIENCE};
use fleet_tests::process::FleetProcess;
use fleet_tests::runtime_api::{AnswerKind, RuntimeApi};
use fleet_tests::{LocalAws, Stack};
use serde_json::{json, Value};

/// One call of cognito-idp's JSON API on moto.
async fn cognito(local: &LocalAws, action: &str, body: Value) -> Value {
    let response = reqwest::Client::new()
        .post(local.endpoint())
        .header("content-type", "application/x-amz-json-1.1")
        .header(
            "x-amz-target",
            format!("AWSCognitoIdentityProviderService.{action}"),
        )
        // moto reads the region from the signature's credential scope.
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=test/20261203/us-east-1/cognito-idp/aws4_request, SignedHeaders=host, Signature=0",
        )
        .body(body.to_string())
        .send()
        .await
        .unwrap_or_else(|e| panic!("cognito-idp {action}: {e}"));
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    assert!(status.is_success(), "cognito-idp {action}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// A user pool with one user whose `email` is verified, signed in: the
/// claims of their ID token, as API Gateway hands them to the function.
async fn signed_in(local: &LocalAws, email: &str) -> serde_json::Map<String, Value> {
    let pool = cognito(local, "CreateUserPool", json!({"PoolName": "orders-test"})).await;
    let pool_id = pool["UserPool"]["Id"]
        .as_str()
        .expect("a pool id")
        .to_owned();
    let client = cognito(
        local,
        "CreateUserPoolClient",
        json!({"UserPoolId": pool_id, "ClientName": "maui-app",
               "ExplicitAuthFlows": ["ALLOW_ADMIN_USER_PASSWORD_AUTH"],
               "ReadAttributes": ["email", "email_verified"]}),
    )
    .await;
    let client_id = client["UserPoolClient"]["ClientId"]
        .as_str()
        .expect("a client id");
    cognito(
        local,
        "AdminCreateUser",
        json!({"UserPoolId": pool_id, "Username": email, "MessageAction": "SUPPRESS",
               "UserAttributes": [{"Name": "email", "Value": email},
                                  {"Name": "email_verified", "Value": "true"}]}),
    )
    .await;
    cognito(
        local,
        "AdminSetUserPassword",
        json!({"UserPoolId": pool_id, "Username": email, "Password": "Corr3ct-Horse!", "Permanent": true}),
    )
    .await;
    let auth = cognito(
        local,
        "AdminInitiateAuth",
        json!({"UserPoolId": pool_id, "ClientId": client_id, "AuthFlow": "ADMIN_USER_PASSWORD_AUTH",
               "AuthParameters": {"USERNAME": email, "PASSWORD": "Corr3ct-Horse!"}}),
    )
    .await;
    let token = auth["AuthenticationResult"]["IdToken"]
        .as_str()
        .unwrap_or_else(|| panic!("no ID token: {auth}"));
    let claims = jwt_payload(token);
    // API Gateway passes every claim as a string.
    claims
        .into_iter()
        .map(|(name, value)| {
            let text = match value {
                Value::String(s) => s,
                other => other.to_string(),
            };
            (name, Value::String(text))
        })
        .collect()
}

/// The JWT's payload (its middle part, base64url), as JSON.
fn jwt_payload(token: &str) -> serde_json::Map<String, Value> {
    let payload = token.split('.').nth(1).expect("a JWT has three parts");
    let mut standard: String = payload
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    while !standard.len().is_multiple_of(4) {
        standard.push('=');
    }
    let bytes = aws_smithy_types::base64::decode(&standard).expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON claims")
}

/// `POST /order` through API Gateway's proxy integration, with the
/// authorizer's claims.
fn post_event(claims: &serde_json::Map<String, Value>, body: &Value) -> Value {
    with_claims(
        api_gateway_event(
            "prod",
            "POST",
            &[("Content-Type", "application/json")],
            Some(&body.to_string()),
        ),
        claims.clone(),
    )
}

/// Invokes order-api with `event`: the proxy response's status and JSON body.
async fn call(
    runtime: &mut RuntimeApi,
    api: &FleetProcess,
    id: &str,
    event: Value,
) -> (u64, Value) {
    let answer = runtime.call(id, &event, PATIENCE, || api.log_tail()).await;
    assert_eq!(
        answer.kind,
        AnswerKind::Response,
        "{answer:?}\n{}",
        api.log_tail()
    );
    let response = answer.json();
    let body =
        serde_json::from_str(response["body"].as_str().unwrap_or("null")).unwrap_or(Value::Null);
    (response["statusCode"].as_u64().unwrap_or_default(), body)
}

fn order(email: &str) -> Value {
    json!({
        "customerId": "whoever-the-body-says",
        "customerName": "Ada Lovelace",
        "customerEmail": email,
        "items": [{"productId": "PROD-001", "quantity": 1, "price": 9.99}]
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_sign_in_an_order_is_the_callers_own_and_mails_no_one_else() {
    let local = LocalAws::shared();
    let stack = Stack::create(local).await;
    let claims = signed_in(local, "ada@example.com").await;
    let subject = claims["sub"].as_str().expect("a sub").to_owned();
    let mut runtime = RuntimeApi::start().await;
    let mut env = runtime.lambda_env(&format!("{}-OrderApi", stack.env), 512);
    env.push(("AUTH_MODE", "cognito".to_owned()));
    // As the template sets it: the router serves /order, not /<stage>/order.
    env.push(("AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH", "true".to_owned()));
    let api = FleetProcess::start("order-api", &stack, &env);
    // Their own address (in any case): placed, under the token's subject.
    let (status, body) = call(
        &mut runtime,
        &api,
        "own",
        post_event(&claims, &order("Ada@Example.com")),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let items = stored_orders(local, &stack).await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["CustomerId"].as_s().ok(), Some(&subject));
    assert_eq!(
        items[0]["CustomerEmail"].as_s().map(String::as_str),
        Ok("ada@example.com")
    );

    // Someone else's address: refused, nothing stored, nobody mailed.
    let (status, body) = call(
        &mut runtime,
        &api,
        "other",
        post_event(&claims, &order("victim@example.org")),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"], "Forbidden");
    assert_eq!(
        body["message"],
        "customerEmail must be the signed-in account's verified address"
    );

    // No claims at all (the authorizer would not let this through): 401.
    let (status, body) = call(
        &mut runtime,
        &api,
        "anonymous",
        post_event(&serde_json::Map::new(), &order("ada@example.com")),
    )
    .await;
    assert_eq!(status, 401, "{body}");

    // An account whose address is not verified cannot order.
    let mut unverified = claims.clone();
    unverified.insert("email_verified".to_owned(), json!("false"));
    let (status, _) = call(
        &mut runtime,
        &api,
        "unverified",
        post_event(&unverified, &order("ada@example.com")),
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(stored_orders(local, &stack).await.len(), 1);
}
