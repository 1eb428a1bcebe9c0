use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    shared::telemetry::init("orderctl");
    match orderctl::run(orderctl::Cli::parse()).await {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {}", shared::telemetry::error_chain(&err));
            err.exit_code()
        }
    }
}
