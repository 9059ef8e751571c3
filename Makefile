# homedir — the verbs. `make dev` runs it locally; `make test` tests it.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

VENV      := .venv
PY        := $(VENV)/bin/python
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export AWS_EC2_METADATA_DISABLED := true
export SAM_CLI_TELEMETRY := 0
# One target/ for everything: the SDK is slow to build, build it once.
export CARGO_TARGET_DIR ?= $(CURDIR)/target

FUNCTIONS := read-file write-file list delete
NEXTEST   := $(shell cargo nextest --version >/dev/null 2>&1 && echo "cargo nextest run" || echo "cargo test")

.PHONY: help venv dev dev-clean test test-rust test-emulator lint build deploy e2e e2e-local fuzz bench token team quota user clean preflight-%

help: ## list the verbs
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(VENV)/.installed: tests/emulator/requirements.txt tests/browser/requirements.txt
	@python3 -m venv $(VENV) >&2
	@$(VENV)/bin/pip install --disable-pip-version-check -q $(addprefix -r ,$^) >&2
	@touch $@

venv: $(VENV)/.installed ## the project virtualenv (moto, aws-sam-translator for the local stack, cargo-lambda for make build and bench, boto3, pytest, selenium)

# What a verb needs that the project cannot install itself: checked in a second,
# before any build; stops with the install command (scripts/preflight.sh).
preflight-%:
	@scripts/preflight.sh $*

dev: preflight-dev venv ## run locally: template.yaml deployed into the emulator (updated in place after an edit) + demo users + the functions under homedir-gateway on 127.0.0.1:9000 (the page at /lambda-url/web/); local data kept in .local/dev-state across restarts
	@scripts/dev.sh

dev-clean: preflight-dev venv ## make dev from nothing: forget the local data saved in .local/dev-state (same as CLEAN=1 make dev)
	@CLEAN=1 scripts/dev.sh

test: preflight-test venv ## build, start a private emulator, run every test (the end-to-end suite too, over HTTP), stop it
	cargo build --workspace --all-targets
	$(PY) -m pytest -q tests/emulator
	scripts/local-stack.sh -- $(NEXTEST) --workspace
	tests/e2e.sh --local

lint: preflight-lint ## rustfmt, clippy, the template linters (sam validate --lint, cfn-lint, checkov) and openapi-spec-validator on openapi.yaml (own venvs under .venv-lint)
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy -p homedir-tests --test e2e -- -D warnings
	scripts/lint.sh

build: preflight-build venv ## sam build: the eight arm64 functions, offline
	scripts/build.sh

deploy: build ## sam deploy (--guided the first time, then samconfig.toml)
	scripts/deploy.sh

e2e: venv ## the end-to-end suite against a deployed stack (STACK_NAME=..., default homedir)
	tests/e2e.sh

e2e-local: venv ## the same end-to-end suite against a private local stack served by homedir-gateway
	tests/e2e.sh --local

fuzz: venv ## long randomized runs: schemathesis (random seed) against a private local stack, then fuzz/run.sh if present
	tests/contract/fuzz.sh

bench: preflight-bench venv ## performance figures against the local emulator, each with its target
	rustup target list --installed | grep -q aarch64-unknown-linux-gnu || rustup target add aarch64-unknown-linux-gnu
	cargo lambda build --release --arm64 $(addprefix -p ,$(FUNCTIONS) usage directory)
	cargo lambda build --release --arm64 --output-format zip $(addprefix -p ,$(FUNCTIONS) usage directory)
	cargo build --release $(addprefix -p ,$(FUNCTIONS)) -p homedir-tests --bin bench $(addprefix --bin ,$(FUNCTIONS))
	# The user pool's own functions, which the local stack's gateway serves (sign-ins run the trigger).
	cargo build -p homedir-gateway -p directory --bins
	# Credentials last an hour, as Cognito's do (the test stack's 90 s exercises refresh).
	HOMEDIR_EMULATOR_CREDENTIALS_TTL=3600 scripts/local-stack.sh --env .local/bench-stack.env -- $(CARGO_TARGET_DIR)/release/bench

token: venv ## print a fresh ID token: make token EMAIL=you@example.com [PASSWORD=...]
	@test -n "$(EMAIL)" || { echo "usage: make token EMAIL=you@example.com [PASSWORD=...]" >&2; exit 2; }
	@$(PY) scripts/id_token.py "$(EMAIL)" $(if $(PASSWORD),"$(PASSWORD)")

team: venv ## put a local user in a team (make dev running): make team EMAIL=you@example.com TEAM=acme; TEAM= takes them out
	@test -n "$(EMAIL)" -a "$(origin TEAM)" != undefined || { echo "usage: make team EMAIL=you@example.com TEAM=name   (TEAM= with nothing takes the user out of their team)" >&2; exit 2; }
	@$(PY) scripts/team.py "$(EMAIL)" "$(TEAM)"

quota: venv ## give a local user their own quota (make dev running): make quota EMAIL=you@example.com BYTES=1073741824; BYTES=0 no quota, BYTES= the default
	@test -n "$(EMAIL)" -a "$(origin BYTES)" != undefined || { echo "usage: make quota EMAIL=you@example.com BYTES=1073741824   (BYTES=0: no quota; BYTES= with nothing: the stack's default)" >&2; exit 2; }
	@$(PY) scripts/quota.py "$(EMAIL)" "$(BYTES)"

user: venv ## disable, enable, delete or sign out a local user everywhere (make dev running): make user EMAIL=you@example.com ACTION=disable
	@test -n "$(EMAIL)" -a -n "$(ACTION)" || { echo "usage: make user EMAIL=you@example.com ACTION=disable|enable|delete|sign-out" >&2; exit 2; }
	@$(PY) scripts/user.py "$(EMAIL)" "$(ACTION)"

clean: ## remove build output, virtualenvs and local state
	rm -rf target .aws-sam .local $(VENV) .venv-lint .venv-contract
