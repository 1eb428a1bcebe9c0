//! A hello-world `lambda_http` function: a JSON greeting for any request.
//! order-api's limit in `make bench`.

use lambda_http::{service_fn, Body, Error, Request, Response};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::run(service_fn(|_request: Request| async move {
        Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .body(Body::from(r#"{"message":"hello"}"#))
            .map_err(Error::from)
    }))
    .await
}
