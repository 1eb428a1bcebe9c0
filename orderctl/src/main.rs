use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    runtime::telemetry::init("orderctl");
    match orderctl::run(orderctl::Cli::parse()).await {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {}", ports::error_chain(&err));
            err.exit_code()
        }
    }
}
