# The two commands a newcomer needs: `make dev` and `make test`.
#
# Python tools (moto, cfn-lint) live in a project-local virtualenv, pinned, so a
# fresh clone needs nothing installed by hand besides python3 and cargo.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
# uv installs the pinned packages: .venv in 17 s and .venv-checkov in 11 s,
# uv itself (installed by pip) included, where pip took about 47 s each. It
# leaves compiling the modules to their first import.
UV_VERSION := 0.13.9
uv_install = $(1)/bin/uv pip install --quiet --python $(1)/bin/python
MOTO_VERSION := 5.2.5
CFN_LINT_VERSION := 1.58.0
# Runs the API's OpenAPI document against the local API (tests/tests/fleet/api_contract.rs).
SCHEMATHESIS_VERSION := 4.32.5
# Generates a Python client from the same document and runs it against the
# local API (tests/tests/fleet/generated_client_e2e.rs).
OPENAPI_PYTHON_CLIENT_VERSION := 0.29.1
# checkov pins an older `packaging` than schemathesis, so it has a venv of its own.
CHECKOV_VERSION := 3.2.459
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed-checkov-$(CHECKOV_VERSION)-uv-$(UV_VERSION)
# `sam validate` in make lint; `sam build`/`sam deploy` in make sam-build/deploy.
SAM_CLI_VERSION := 1.170.0
# The versions are in the stamp's name, so bumping a pin reinstalls.
# constraints.txt pins every dependency; its hash is in the stamp, so editing it reinstalls.
CONSTRAINTS_HASH := $(shell sha256sum constraints.txt 2>/dev/null | cut -c1-12)
VENV_STAMP := $(VENV)/.installed-$(CONSTRAINTS_HASH)-uv-$(UV_VERSION)-moto-$(MOTO_VERSION)-cfn-lint-$(CFN_LINT_VERSION)-schemathesis-$(SCHEMATHESIS_VERSION)-sam-$(SAM_CLI_VERSION)-openapi-python-client-$(OPENAPI_PYTHON_CLIENT_VERSION)

CARGO ?= cargo

# Infrastructure tools. cargo-lambda comes from PyPI (with zig) into .venv;
# cfn-guard is built from crates.io once per machine (about 2 minutes on two
# cores) into a per-version directory outside the repository.
CARGO_LAMBDA_VERSION := 1.9.2
CARGO_LAMBDA_STAMP := $(VENV)/.installed-cargo-lambda-$(CARGO_LAMBDA_VERSION)
CFN_GUARD_VERSION := 3.2.1
TOOLS_DIR ?= $(HOME)/.cache/order-fleet
CFN_GUARD := $(TOOLS_DIR)/cfn-guard-$(CFN_GUARD_VERSION)/bin/cfn-guard
# Licences, duplicate versions and sources of every crate (deny.toml).
CARGO_DENY_VERSION := 0.20.2
CARGO_DENY := $(TOOLS_DIR)/cargo-deny-$(CARGO_DENY_VERSION)/bin/cargo-deny
# What `make package` builds: x86_64, which this machine can also run
# (`make test-lambda`); `make package ARCH=arm64` for the template's default.
ARCH ?= x86_64
# sam runs from infra/ (template.yaml, samconfig.toml), with cargo-lambda and
# zig from .venv on PATH; it only validates, builds and deploys, so no
# telemetry. Validation needs a region, not credentials.
SAM := cd infra && PATH="$(CURDIR)/$(VENV)/bin:$$PATH" SAM_CLI_TELEMETRY=0 $(CURDIR)/$(VENV)/bin/sam
ENV ?= dev

.PHONY: help venv dev build build-linted test test-e2e test-e2e-long test-latency test-soak lint lint-rust lint-fmt-deny lint-infra lint-template fmt clean-venv package test-lambda sam-build deploy bench soak

help:
	@echo "make dev    start moto on 127.0.0.1:4566, create the local-* stack, run the services (Ctrl-C stops all)"
	@echo "make test   lint, build, and run every test (the tests start their own moto)"
	@echo "make lint   cargo fmt --check, clippy -D warnings, and lint-infra"
	@echo "make lint-infra  cfn-lint and the policy rules (infra/rules, cfn-guard) on infra/template.yaml"
	@echo "make package     the functions as bootstrap zips for provided.al2023 (ARCH=x86_64|arm64)"
	@echo "make test-lambda the packaged bootstraps in Lambda mode against moto (after make package)"
	@echo "make sam-build   sam build (cargo-lambda, release) into infra/.aws-sam, ENV=dev|staging|prod"
	@echo "make deploy      sam build + sam deploy --config-env ENV (dev|staging|prod; infra/README.md)"
	@echo "make bench       release build, then speed and size against moto; report in target/bench/report.json"
	@echo "make soak        the fleet under failing calls, killed workers, SES throttling, hung calls, a slow SNS and an SNS outage; reports in target/soak/"
	@echo "make fmt    cargo fmt"
	@echo "make venv   install moto, cfn-lint, schemathesis, sam and openapi-python-client into .venv (done once, on demand)"

venv: $(VENV_STAMP)

$(VENV_STAMP):
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.9+ (it runs moto and cfn-lint)" >&2; exit 1; }
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(call uv_install,$(VENV)) -c constraints.txt \
		"moto[server]==$(MOTO_VERSION)" "cfn-lint==$(CFN_LINT_VERSION)" \
		"schemathesis==$(SCHEMATHESIS_VERSION)" "aws-sam-cli==$(SAM_CLI_VERSION)" \
		"openapi-python-client==$(OPENAPI_PYTHON_CLIENT_VERSION)"
	touch $@

build:
	$(CARGO) build --workspace --bins

dev: venv build
	scripts/dev.sh

# Lint first: CI runs only `make test`, and a red lint must fail it.
# The binaries and the tests build once, through clippy: cargo runs
# clippy-driver (rustc with clippy's lints) on the workspace's own crates, so
# the build is also `clippy --all-targets -D warnings`, and the dependencies
# compile once instead of once for clippy and once for the tests. The tests
# run with the same wrapper, or cargo would build the workspace's crates again.
# In a fresh clone the Python tools install and lint the template, and
# rustfmt and cargo-deny check, while it compiles: they need nothing of each
# other (a red one still fails the run, once the build is done). The
# template's lints (33 s of CPU) run at a lower priority, to fill the build's
# idle moments rather than slow it (beside the tests they slowed those 30 s).
# The end-to-end tests and the short soak mostly wait on moto, SQS's
# visibility timeouts and SES's pace, so they run at once, each cargo test
# process with a moto of its own: 130 s on two cores, against 165 s one after
# the other. The scenario that holds POST to a latency runs once the
# end-to-end tests are done, in a process of its own: by then the short soak
# is down to its failing-calls scenario, which mostly waits out visibility
# timeouts (its lost replies and killed workers), not the cores. First, alone,
# it added 30 s to every run.
# The two longest end-to-end tests (orderctl's DLQ round trip and its
# runbook, 45-55 s each, mostly waiting on retries and processes) run from
# the start in a process of their own, so the others finish sooner and the
# latency scenario starts sooner.
test:
	$(MAKE) --no-print-directory -j3 --output-sync=target lint-template lint-fmt-deny build-linted
	$(MAKE) --no-print-directory -j3 --output-sync=target test-latency test-soak test-e2e-long

# The scenario that holds POST to a latency (test-latency). Set to a filter
# that matches nothing, it runs with the other scenarios: still alone among
# them (soak.rs), though not in a process of its own.
SOAK_LATENCY = soak::post_answers_within_a_second_and_a_half_while_every_publish_takes_four

test-latency: test-e2e
	MAKEFLAGS= $(LINTED) $(CARGO) test --workspace --test fleet $(SOAK_LATENCY)

# `--tests`: every unit and integration test, not doctests. No crate has one,
# and rustdoc's pass over ten crates to find none took 19 s of every run.
test-e2e:
	MAKEFLAGS= $(LINTED) $(CARGO) test --workspace --tests -- --skip soak:: $(E2E_LONG:%=--skip %) --test-threads=8

E2E_LONG = orderctl_e2e:: orderctl_runbook_e2e::

test-e2e-long:
	MAKEFLAGS= $(LINTED) $(CARGO) test --workspace --test fleet -- $(E2E_LONG)

test-soak:
	MAKEFLAGS= $(LINTED) $(CARGO) test --workspace --test fleet soak:: -- --skip $(SOAK_LATENCY) --test-threads=4

# What `cargo clippy` does, set for any cargo command (see test:).
LINTED = RUSTC_WORKSPACE_WRAPPER="$$(rustc --print sysroot)/bin/clippy-driver" CLIPPY_ARGS=-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__

build-linted:
	@# Its own two jobs, not make's jobserver (whose descriptors cargo is not handed).
	MAKEFLAGS= $(LINTED) $(CARGO) build --workspace --bins --tests --benches

lint: lint-rust lint-infra

lint-rust: lint-fmt-deny
	$(CARGO) clippy --workspace --all-targets -- -D warnings

# Formatting, and the licences, duplicates and sources of every crate (deny.toml).
lint-fmt-deny: $(CARGO_DENY)
	$(CARGO) fmt --all --check
	@# Advisories need the RustSec database from GitHub: the workflow checks them.
	$(CARGO_DENY) check licenses bans sources

# The template's invariants (infra/rules/*.guard) hold, each rule fails on the
# violating templates of infra/rules/tests/, and the one rule cfn-guard cannot
# express (visibility timeout >= 6 x function timeout) is a Rust test.
lint-infra: lint-template
	$(CARGO) test --quiet --workspace --test fleet template_policy::

# Below the build's priority when both run (test:).
NICE = nice -n 10

lint-template: venv $(CFN_GUARD) $(CHECKOV_STAMP)
	$(NICE) $(VENV)/bin/cfn-lint infra/template.yaml
	@# Every finding is fixed or skipped in the template with its reason (Metadata.checkov.skip).
	@# Offline: checkov otherwise asks PyPI for a newer checkov on start (at most
	@# hourly; CKV_SKIP_PACKAGE_UPDATE_CHECK stops it) and fetches Prisma Cloud's
	@# guidelines (BC_* ids and links; --skip-download stops it), printing a
	@# traceback when it cannot reach them. The checks themselves ship with it.
	CKV_SKIP_PACKAGE_UPDATE_CHECK=true $(NICE) $(CHECKOV_VENV)/bin/checkov --file infra/template.yaml --framework cloudformation --quiet --compact --skip-download
	@# The SAM transform itself (what it generates), then cfn-lint through SAM.
	@# Validating needs no credentials: without AWS_EC2_METADATA_DISABLED boto3
	@# asks the EC2 metadata service (169.254.169.254) for some.
	export AWS_EC2_METADATA_DISABLED=true && $(SAM) validate --region us-east-1 --config-env dev
	export AWS_EC2_METADATA_DISABLED=true && $(SAM) validate --region us-east-1 --lint
	$(NICE) $(CFN_GUARD) validate --rules infra/rules --data infra/template.yaml --show-summary fail
	@out=$$($(NICE) $(CFN_GUARD) test --dir infra/rules 2>&1) || { echo "$$out"; echo "cfn-guard: a rule's unit test failed (above)" >&2; exit 1; }; \
		echo "cfn-guard test: every rule passes and fails where its tests say"

$(CHECKOV_STAMP):
	rm -rf $(CHECKOV_VENV)
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(call uv_install,$(CHECKOV_VENV)) -c constraints-checkov.txt "checkov==$(CHECKOV_VERSION)"
	touch $@

$(CARGO_DENY):
	@echo "building cargo-deny $(CARGO_DENY_VERSION) from crates.io into $(TOOLS_DIR) (once per machine; about 6 minutes on two cores)"
	$(CARGO) install --locked --quiet cargo-deny@$(CARGO_DENY_VERSION) --root $(TOOLS_DIR)/cargo-deny-$(CARGO_DENY_VERSION)

$(CFN_GUARD):
	@echo "building cfn-guard $(CFN_GUARD_VERSION) from crates.io into $(TOOLS_DIR) (once per machine; about 2 minutes on two cores)"
	$(CARGO) install --locked --quiet cfn-guard@$(CFN_GUARD_VERSION) --root $(TOOLS_DIR)/cfn-guard-$(CFN_GUARD_VERSION)

$(CARGO_LAMBDA_STAMP): $(VENV_STAMP)
	$(call uv_install,$(VENV)) -c constraints.txt "cargo-lambda==$(CARGO_LAMBDA_VERSION)"
	touch $@

package: $(CARGO_LAMBDA_STAMP)
	scripts/package.sh $(ARCH)

# The release bootstraps `make package` built, run through a stand-in Lambda
# Runtime API against moto (`make test` runs the debug builds the same way).
test-lambda: venv
	LAMBDA_BOOTSTRAP_DIR=$(CURDIR)/target/lambda/$(ARCH) $(CARGO) test -p fleet-tests --test fleet lambda_mode:: -- --nocapture

# The functions as SAM builds them: cargo-lambda, release profile, for the
# template's Architecture (arm64), into infra/.aws-sam/build.
sam-build: $(CARGO_LAMBDA_STAMP)
	$(SAM) build --config-env $(ENV)

# Builds (unless SKIP_BUILD=1: CI deploys the build it tested), then creates
# or updates order-fleet-$(ENV) with samconfig.toml's parameters; order-api's
# new version takes traffic by canary (infra/README.md). DEPLOY_FLAGS passes
# more, e.g. --no-confirm-changeset once prod's deploy was approved.
deploy: venv $(if $(SKIP_BUILD),,sam-build)
	$(SAM) deploy --config-env $(ENV) $(DEPLOY_FLAGS)

# Speed and size are measured here, never asserted in timed tests. The bench
# times the release binaries (sizes, cold starts, HTTP, workers), so they are
# built first; the bench itself builds in the bench profile (release, fat LTO).
bench: venv
	$(CARGO) build --release --workspace --bins
	$(CARGO) bench -p fleet-tests --bench fleet

# The fleet under production's failure modes (tests/tests/fleet/soak.rs): failing
# calls and killed workers (600 orders), SES throttled to 2 sends/s (150), hung
# claim completions (40), every SNS publish 4 s slow (60), an SNS outage that
# leaves 1,000 orders to the relay. `make test` runs each short. Each table is
# printed and written to target/soak/<scenario>.json; SOAK_SEED=<n> replays a
# run's faults, SOAK_ORDERS=<n> sets every scenario's size.
soak: venv build
	@# One scenario at a time: they share one moto, whose core each one measures.
	SOAK_FULL=1 $(CARGO) test --workspace --test fleet soak:: -- --nocapture --test-threads=1

fmt:
	$(CARGO) fmt --all

clean-venv:
	rm -rf $(VENV) $(CHECKOV_VENV)
