#!/usr/bin/env bash
# `make package`: the four functions as `bootstrap` zips for Lambda's
# provided.al2023 runtime, built by cargo-lambda (zig links against the glibc
# Lambda has), in the workspace's size-tuned release profile.
#
#   scripts/package.sh [x86_64|arm64]      (default: x86_64)
#
# Writes target/lambda/<arch>/<function>/bootstrap (what the zip holds, and what
# tests/tests/fleet/lambda_mode.rs runs under LAMBDA_BOOTSTRAP_DIR) and
# target/lambda/<arch>/<function>.zip (what infra/README.md uploads to
# s3://<CodeBucket>/<CodeKeyPrefix>/<function>.zip), then prints their sizes.
#
# Expects cargo-lambda in .venv (`make package` installs it from PyPI).
set -euo pipefail

cd "$(dirname "$0")/.."

FUNCTIONS=(order-api email-worker audit-worker outbox-relay)
# The crates that build them: outbox-relay is a second binary of order-api.
PACKAGES=(order-api email-worker audit-worker)
# Hello-world functions in the same profile: `make bench`'s limits for size
# and cold start (tests/baselines). Built and zipped, never deployed.
BASELINES=(hello-runtime hello-http)
ARCH=${1:-x86_64}
case "$ARCH" in
    x86_64) TARGET_TRIPLE=x86_64-unknown-linux-gnu ;;
    arm64) TARGET_TRIPLE=aarch64-unknown-linux-gnu ;;
    *) echo "package: unknown architecture '$ARCH' (x86_64 or arm64, as the template's Architecture)" >&2; exit 2 ;;
esac
OUT=${CARGO_TARGET_DIR:-target}/lambda/$ARCH

say() { printf '\033[1mpackage:\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31mpackage: error:\033[0m %s\n' "$*" >&2; exit 1; }

[[ -x .venv/bin/cargo-lambda ]] || die "cargo-lambda is not installed in .venv: run \`make package\` (it installs it)"
command -v zip >/dev/null || die "zip is not installed (apt-get install zip)"
# `cargo lambda` is a cargo subcommand, and zig (PyPI `ziglang`) sits next to it.
export PATH="$PWD/.venv/bin:$PATH"

if ! rustup target list --installed 2>/dev/null | grep -qx "$TARGET_TRIPLE"; then
    die "the Rust target $TARGET_TRIPLE is not installed: run \`rustup target add $TARGET_TRIPLE\`"
fi

args=(--release --target "$TARGET_TRIPLE" --lambda-dir "$OUT")
for package in "${PACKAGES[@]}" bench-baselines; do
    args+=(--package "$package")
done
say "building ${FUNCTIONS[*]} for $ARCH ($TARGET_TRIPLE) into $OUT"
cargo lambda build --output-format binary "${args[@]}"

size() { stat -c %s "$1"; }
human() { numfmt --to=iec-i --suffix=B --format='%.1f' "$1"; }

printf '\n%-14s %12s %12s\n' function bootstrap zip >&2
for function in "${FUNCTIONS[@]}" "${BASELINES[@]}"; do
    bootstrap=$OUT/$function/bootstrap
    zip=$OUT/$function.zip
    [[ -x "$bootstrap" ]] || die "cargo lambda did not produce $bootstrap"
    # Zipped here rather than by a second `cargo lambda build`, which would
    # rebuild whatever changed meanwhile: the zip holds exactly this file, at
    # its root, executable. Named as the template's S3 keys expect.
    rm -f "$zip"
    (cd "$OUT/$function" && zip -q -9 -X "../$function.zip" bootstrap)
    printf '%-14s %12s %12s\n' "$function" "$(human "$(size "$bootstrap")")" "$(human "$(size "$zip")")" >&2
done
say "zips: $OUT/{$(IFS=,; echo "${FUNCTIONS[*]}")}.zip"
