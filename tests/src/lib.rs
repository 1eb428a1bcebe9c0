//! The workspace's test harness: the local AWS, stacks on it, and the binaries.
//!
//! # Layout
//!
//! - [`local_aws`]: [`LocalAws`], one moto per test process (or `MOTO_ENDPOINT`),
//!   stopped when the process ends.
//! - [`stack`]: [`Stack`], the resources of `infra/template.yaml` under a prefix
//!   of each test's own, provisioned through the `local-stack` crate.
//! - [`app`]: `App::spawn`, the real order-api on a free port, and an HTTP client.
//! - [`probes`]: the rows and messages a test stack holds.
//! - [`process`]: a fleet binary as a child process, stopped with the test.
//! - [`runtime_api`]: a stand-in Lambda Runtime API, to run a binary in Lambda mode;
//!   [`lambda`]: a function of the template run as Lambda would, and its events.
//! - [`fault_proxy`]: [`FaultProxy`], between the binaries and moto: a seeded
//!   share of AWS calls failed before or after moto executes them, and
//!   throttled, slow, unavailable or hung calls by operation.
//! - [`workers`]: the worker binaries, the events they are fed, and probes of
//!   their effects (mail, audit rows, dead letters).
//! - [`mobile`]: the mobile app's retry policy, for posting orders as it does.
//! - [`relay_ceiling`]: moto's own rate for the relay's calls, the relay's limit.
//! - [`binary`], [`repo_root`]: where the workspace's binaries and files are.

pub mod app;
pub mod fault_proxy;
pub mod lambda;
pub mod local_aws;
pub mod mobile;
pub mod probes;
pub mod process;
pub mod relay_ceiling;
pub mod runtime_api;
pub mod stack;
pub mod workers;

use std::path::{Path, PathBuf};

pub use fault_proxy::FaultProxy;
pub use local_aws::LocalAws;
pub use stack::Stack;

/// The repository's root directory.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or_else(|| panic!("the tests crate lives inside the repository"))
        .to_owned()
}

/// A workspace binary (`target/debug/<name>`), next to the running test executable.
///
/// Tests run the real binaries; cargo builds only the test's own package's
/// binaries for it, so the workspace must have been built first.
pub fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe()
        .unwrap_or_else(|e| panic!("cannot locate the test executable: {e}"));
    // target/debug/deps/<test> → target/debug/<name>
    let dir = exe
        .parent()
        .and_then(|deps| {
            if deps.ends_with("deps") {
                deps.parent()
            } else {
                Some(deps)
            }
        })
        .unwrap_or_else(|| panic!("unexpected test executable path {}", exe.display()));
    let path = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.is_file(),
        "{} is not built: run `cargo build --workspace --bins` first (`make test` does)",
        path.display()
    );
    path
}
