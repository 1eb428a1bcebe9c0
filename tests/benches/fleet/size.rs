//! Section 4, size: the release binaries, and the bootstrap zips `make package` left.

use std::path::Path;
use std::time::SystemTime;

use crate::report::{Figure, Row, Section};

/// The workspace's binaries.
pub const BINARIES: [&str; 4] = ["order-api", "email-worker", "audit-worker", "orderctl"];
/// The binaries that run as Lambda functions.
pub const FUNCTIONS: [&str; 3] = ["order-api", "email-worker", "audit-worker"];

/// `release`: `target/release`; `target`: where `lambda/<arch>/` would be.
pub fn run(release: &Path, target: &Path) -> Section {
    let mut rows = Vec::new();
    for name in BINARIES {
        let path = release.join(name);
        if let Some(bytes) = size(&path) {
            rows.push(Row::new(
                format!("release/{name}"),
                age(&path),
                vec![Figure::new("size", bytes as f64, "B")],
            ));
        }
    }
    for arch in ["x86_64", "arm64"] {
        let dir = target.join("lambda").join(arch);
        for function in FUNCTIONS {
            let zip = dir.join(format!("{function}.zip"));
            let Some(zipped) = size(&zip) else { continue };
            let mut figures = vec![Figure::new("zip", zipped as f64, "B")];
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
        note: "The release profile: opt-level 3, fat LTO, one codegen unit, symbols \
               stripped. The zips are what `make package` (cargo-lambda, zig) built for \
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
