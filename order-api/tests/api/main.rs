//! order-api's router over the in-memory ports, through HTTP requests as
//! API Gateway would pass them: the contract, retries and failing backends,
//! and the OpenAPI document against the code.

mod contract;
mod openapi;
mod retries;
mod support;
