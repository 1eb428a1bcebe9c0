//! Section 4, size: the release binaries, and the bootstrap zips `make package` left.

use std::path::Path;
use std::time::SystemTime;

use crate::report::{Figure, Row, Section, ZIP_GOAL};

/// The binaries that run as Lambda functions.
pub const FUNCTIONS: [&str; 4] = ["order-api", "outbox-relay", "email-worker", "audit-worker"];
/// Hello-world functions in the same profile (tests/baselines): the limits.
pub const BASELINES: [&str; 2] = ["hello-http", "hello-runtime"];
/// Every binary the bench reads.
pub const BINARIES: [&str; 7] = [
    "order-api",
    "outbox-relay",
    "email-worker",
    "audit-worker",
    "orderctl",
    "hello-http",
    "hello-runtime",
];

/// The hello-world a function is held against: `lambda_http` for the API,
/// `lambda_runtime` for the others.
pub fn baseline_of(function: &str) -> &'static str {
    if function == "order-api" {
        "hello-http"
    } else {
        "hello-runtime"
    }
}

/// `release`: `target/release`; `target`: where `lambda/<arch>/` would be.
pub fn run(release: &Path, target: &Path) -> Section {
    let mut rows = Vec::new();
    for name in BINARIES {
        let path = release.join(name);
        if let Some(bytes) = size(&path) {
            let mut figures = vec![Figure::new("size", bytes as f64, "B")];
            if FUNCTIONS.contains(&name) {
                let baseline = baseline_of(name);
                if let Some(limit) = size(&release.join(baseline)) {
                    figures.push(Figure::ratio(
                        &format!("vs {baseline}"),
                        bytes as f64,
                        limit as f64,
                    ));
                }
            }
            rows.push(Row::new(format!("release/{name}"), age(&path), figures));
        }
    }
    for arch in ["x86_64", "arm64"] {
        let dir = target.join("lambda").join(arch);
        for function in FUNCTIONS.iter().chain(&BASELINES) {
            let zip = dir.join(format!("{function}.zip"));
            let Some(zipped) = size(&zip) else { continue };
            let mut figures = vec![Figure::new("zip", zipped as f64, "B")];
            if FUNCTIONS.contains(function) {
                figures[0] = figures[0].clone().with_goal(ZIP_GOAL);
                let baseline = baseline_of(function);
                if let Some(limit) = size(&dir.join(format!("{baseline}.zip"))) {
                    figures.push(Figure::ratio(
                        &format!("vs {baseline}.zip"),
                        zipped as f64,
                        limit as f64,
                    ));
                }
            }
            if let Some(bootstrap) = size(&dir.join(function).join("bootstrap")) {
                figures.push(Figure::new("bootstrap", bootstrap as f64, "B"));
            }
            rows.push(Row::new(
                format!("lambda/{arch}/{function}.zip"),
                age(&zip),
                figures,
            ));
        }
    }
    Section {
        id: "size".to_owned(),
        title: "4. Size".to_owned(),
        note: "The release profile (Cargo.toml): fat LTO, one codegen unit, symbols \
               stripped; TLS by rustls on ring. Each function is set against a hello-world \
               lambda_http (order-api) or lambda_runtime (the others) built in the same \
               profile. The zips are what `make package` (cargo-lambda, zig) built for \
               provided.al2023, if it ran: `make bench` does not rebuild them, so mind \
               their age."
            .to_owned(),
        rows,
    }
}

fn size(path: &Path) -> Option<u64> {
    std::fs::metadata(path)
        .ok()
        .filter(|m| m.is_file())
        .map(|m| m.len())
}

/// "built 3 min ago", from the file's modification time.
fn age(path: &Path) -> String {
    let modified = std::fs::metadata(path).and_then(|m| m.modified());
    let Some(seconds) = modified
        .ok()
        .and_then(|at| SystemTime::now().duration_since(at).ok())
        .map(|d| d.as_secs())
    else {
        return "built at an unknown time".to_owned();
    };
    match seconds {
        s if s < 120 => format!("built {s} s ago"),
        s if s < 7200 => format!("built {} min ago", s / 60),
        s if s < 172_800 => format!("built {} h ago", s / 3600),
        s => format!("built {} days ago", s / 86_400),
    }
}
