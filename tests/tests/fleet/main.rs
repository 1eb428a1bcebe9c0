//! The fleet end to end: the real binaries over HTTP and SQS against the
//! local AWS (moto), one test binary with a module per subject.
//!
//! The soak (`soak`) measures moto as much as the fleet, so `make test` runs
//! it after the rest, on its own (`cargo test … -- soak::`).

mod api_contract;
mod auth_e2e;
mod fair_queues;
mod generated_client_e2e;
mod lambda_mode;
mod local_stack;
mod order_api_e2e;
mod orderctl_delivery_e2e;
mod orderctl_e2e;
mod orderctl_refusals_e2e;
mod orderctl_republish_e2e;
mod orderctl_runbook_e2e;
mod orderctl_status_e2e;
mod orderctl_support;
mod relay_lambda_e2e;
mod soak;
mod soak_support;
mod template_policy;
mod workers_dead_letters_e2e;
mod workers_e2e;
mod workers_lambda_e2e;
