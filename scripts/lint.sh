#!/usr/bin/env bash
# Static checks of template.yaml: `sam validate --lint`, `cfn-lint` and `checkov`, and of
# openapi.yaml: `openapi-spec-validator` (OpenAPI 3.1), all offline. Exits non-zero on
# any finding of any of the four.
#
# The tools come from scripts/requirements-lint.txt (exact pins) and live under
# .venv-lint/ at the repository root. aws-sam-cli and checkov pin different exact boto3
# versions (1.170.0 wants boto3==1.43.108, checkov 3.3.30 boto3==1.35.49), so they
# cannot share one environment: .venv-lint/sam holds aws-sam-cli + cfn-lint (sam's
# --lint runs cfn-lint in-process), .venv-lint/checkov holds checkov and
# .venv-lint/openapi holds openapi-spec-validator. Each venv is
# (re)installed only when the pins it was built from change.
#
# Usage: scripts/lint.sh [template]   (default: template.yaml at the repo root)
#        scripts/lint.sh --tools-only  (install the tools, check nothing)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REQS="$ROOT/scripts/requirements-lint.txt"
VENV_ROOT="${LINT_VENV:-$ROOT/.venv-lint}"
TEMPLATE="$ROOT/template.yaml"
[[ -n "${1:-}" && "${1:-}" != "--tools-only" ]] && TEMPLATE="$1"
PYTHON="${PYTHON:-python3}"

cd "$ROOT"

# The exact pin of one package from the requirements file (e.g. "checkov==3.3.30").
pin() {
    local name="$1" line
    line="$(grep -iE "^[[:space:]]*${name}[[:space:]]*==" "$REQS" | head -n1 | tr -d '[:space:]')"
    if [[ -z "$line" ]]; then
        echo "lint: no pinned version of $name in $REQS" >&2
        exit 2
    fi
    printf '%s\n' "$line"
}

# ensure_venv DIR PIN... : a virtualenv at DIR with exactly these pins installed.
ensure_venv() {
    local dir="$1"
    shift
    local want stamp="$dir/.installed-pins"
    want="$(printf '%s\n' "$@")"
    if [[ -x "$dir/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
        return 0
    fi
    echo "lint: installing $* into $dir (once; slow)" >&2
    rm -rf "$dir"
    "$PYTHON" -m venv "$dir"
    "$dir/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
    "$dir/bin/python" -m pip install --quiet --disable-pip-version-check "$@"
    printf '%s\n' "$want" >"$stamp"
}

ensure_venv "$VENV_ROOT/sam" "$(pin aws-sam-cli)" "$(pin cfn-lint)"
ensure_venv "$VENV_ROOT/checkov" "$(pin checkov)"
ensure_venv "$VENV_ROOT/openapi" "$(pin openapi-spec-validator)"

# `lint.sh --tools-only`: just install the tools (make build and deploy need sam).
[[ "${1:-}" == "--tools-only" ]] && exit 0

export SAM_CLI_TELEMETRY=0
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"
# Nothing here needs AWS: make sure no tool goes looking for credentials or metadata.
export AWS_EC2_METADATA_DISABLED=true
export BC_SKIP_MAPPING=TRUE

failed=0
run() {
    local name="$1"
    shift
    echo "== $name"
    if "$@"; then
        echo "== $name: ok"
    else
        echo "== $name: FAILED" >&2
        failed=1
    fi
}

run "sam validate --lint" "$VENV_ROOT/sam/bin/sam" validate --lint --template-file "$TEMPLATE"
# cfn-lint exits non-zero on errors, warnings and informational findings alike.
run "cfn-lint" "$VENV_ROOT/sam/bin/cfn-lint" "$TEMPLATE"
run "checkov" "$VENV_ROOT/checkov/bin/checkov" -f "$TEMPLATE" --framework cloudformation \
    --skip-download --quiet --compact
run "openapi-spec-validator" "$VENV_ROOT/openapi/bin/openapi-spec-validator" --schema 3.1 "$ROOT/openapi.yaml"

if [[ $failed -ne 0 ]]; then
    echo "lint: template or OpenAPI checks failed" >&2
    exit 1
fi
echo "lint: sam validate --lint, cfn-lint, checkov and openapi-spec-validator all passed"
