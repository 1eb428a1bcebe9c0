# The two commands a newcomer needs: `make dev` and `make test`.
#
# Python tools (moto, cfn-lint) live in a project-local virtualenv, pinned, so a
# fresh clone needs nothing installed by hand besides python3 and cargo.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
MOTO_VERSION := 5.2.5
CFN_LINT_VERSION := 1.58.0
# The versions are in the stamp's name, so bumping a pin reinstalls.
VENV_STAMP := $(VENV)/.installed-moto-$(MOTO_VERSION)-cfn-lint-$(CFN_LINT_VERSION)

CARGO ?= cargo

.PHONY: help venv dev build test lint fmt clean-venv

help:
	@echo "make dev    start moto on 127.0.0.1:4566, create the local-* stack, run the services (Ctrl-C stops all)"
	@echo "make test   lint, build, and run every test (the tests start their own moto)"
	@echo "make lint   cargo fmt --check, clippy -D warnings, cfn-lint infra/template.yaml"
	@echo "make fmt    cargo fmt"
	@echo "make venv   install moto and cfn-lint into .venv (done once, on demand)"

venv: $(VENV_STAMP)

$(VENV_STAMP):
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.9+ (it runs moto and cfn-lint)" >&2; exit 1; }
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check \
		"moto[server]==$(MOTO_VERSION)" "cfn-lint==$(CFN_LINT_VERSION)"
	touch $@

build:
	$(CARGO) build --workspace --bins

dev: venv build
	scripts/dev.sh

# Lint first: CI runs only `make test`, and a red lint must fail it.
test: venv lint build
	$(CARGO) test --workspace

lint: venv
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(VENV)/bin/cfn-lint infra/template.yaml

fmt:
	$(CARGO) fmt --all

clean-venv:
	rm -rf $(VENV)
