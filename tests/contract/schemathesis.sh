#!/usr/bin/env bash
# schemathesis against the four functions as homedir-gateway serves them: every
# operation of openapi.yaml, positive and negative data (mode all), with a real ID token
# of a user it provisions in the local user pool. Zero failures or it exits non-zero.
#
#   tests/contract/schemathesis.sh BASE_URL [--fuzz] [-- SCHEMATHESIS-ARGS...]
#
# BASE_URL   where the functions are served, http://127.0.0.1:PORT/lambda-url
#            (homedir-gateway: http://127.0.0.1:PORT/lambda-url/<function>/).
# The stack's settings come from the environment, as scripts/local-stack.sh exports them
# (USER_POOL_ID, USER_POOL_CLIENT_ID, AWS_REGION, AWS_ENDPOINT_URL; HOMEDIR_STACK_ENV).
#
# Bounded (default; `make test` through tests/e2e.sh --local): a fixed seed and
# a fixed example budget per operation, so a run is reproducible and takes minutes.
# --fuzz (`make fuzz`): a random seed (printed, so a finding can be replayed with
# `-- --seed N`), a budget of CONTRACT_FUZZ_EXAMPLES (default 1000) examples per
# operation and the stateful phase.
#
# schemathesis lives in its own virtualenv, .venv-contract, installed from
# tests/contract/requirements.txt (every package pinned: a seed means the same requests
# on every machine) and reinstalled only when that file changes.
#
# Paths: openapi.yaml documents `/read-file`, as API Gateway routes it; homedir-gateway
# serves a function at `/lambda-url/<function>/` and at `/lambda-url/<function>` (no
# trailing slash) alike, passing the same query to it. So BASE_URL + the document's
# paths reach the functions as they are. tests/contract/hooks.py makes non-UTF-8 text
# bodies UTF-8, a workaround for cargo lambda watch, which served the functions before
# the gateway (see there).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
HERE="$ROOT/tests/contract"
VENV="$ROOT/.venv-contract"
REQS="$HERE/requirements.txt"
PYTHON="${PYTHON:-python3}"

# The bounded run: fixed seed, fixed budget.
SEED=20261123
MAX_EXAMPLES=100
# Every check that applies to this API. Left out: positive_data_acceptance (a valid
# key of a file that does not exist is rightly 404, two valid but exclusive parameters
# rightly 400), use_after_free / ensure_resource_availability (they need links between
# operations the document does not declare) and object_level_authorization (a second
# user's resources; tests/tests/integration/functions/isolation.rs and the e2e isolation suite cover it).
CHECKS=not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,negative_data_rejection,missing_required_header,unsupported_method,allow_header_conformance,ignored_auth

die() { echo "schemathesis.sh: $*" >&2; exit 2; }

[[ $# -ge 1 ]] || die "usage: $0 BASE_URL [--fuzz] [-- SCHEMATHESIS-ARGS...]"
base_url="${1%/}"
shift
fuzz=""
extra=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --fuzz) fuzz=yes; shift ;;
    --) shift; extra=("$@"); break ;;
    *) die "unknown option $1" ;;
  esac
done
: "${USER_POOL_ID:?run through scripts/local-stack.sh (the stack settings are not exported)}"
[[ -x "$ROOT/.venv/bin/python" ]] || die "no .venv; run 'make venv' first"

# .venv-contract with exactly the pinned packages.
stamp="$VENV/.installed-requirements"
if ! [[ -x "$VENV/bin/schemathesis" && -f "$stamp" ]] || ! cmp -s "$stamp" "$REQS"; then
  echo "schemathesis.sh: installing schemathesis into $VENV (once)" >&2
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQS"
  cp "$REQS" "$stamp"
fi

# A real user of the local pool, a member of a team so that space=team reaches S3
# too, and their ID token (kept out of argv and the output): signed up, put in the
# team as an operator would, signed in again for a token that carries it.
email="contract-$(date +%s)-$RANDOM@example.com"
"$ROOT/.venv/bin/python" scripts/id_token.py "$email" "Contract-Passw0rd-1" > /dev/null
"$ROOT/.venv/bin/python" scripts/team.py "$email" "contract-$RANDOM" > /dev/null
HOMEDIR_CONTRACT_TOKEN=$("$ROOT/.venv/bin/python" scripts/id_token.py "$email" "Contract-Passw0rd-1")
export HOMEDIR_CONTRACT_TOKEN
export SCHEMATHESIS_HOOKS="$HERE/hooks.py"

if [[ -n $fuzz ]]; then
  seed=$(( (RANDOM << 15) | RANDOM ))
  args=(--seed "$seed" --max-examples "${CONTRACT_FUZZ_EXAMPLES:-1000}"
        --phases examples,coverage,fuzzing,stateful)
else
  seed=$SEED
  args=(--seed "$seed" --max-examples "$MAX_EXAMPLES"
        --phases examples,coverage,fuzzing)
fi
# The functions must answer first (the gateway starts each one at its first request).
for route in read-file write-file list delete; do
  for _ in $(seq 1 300); do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 60 -X PATCH "$base_url/$route?key=warm-up" || true)
    [[ $code == 405 ]] && break
    sleep 1
  done
  [[ $code == 405 ]] || die "$base_url/$route does not answer"
done

# One folder per run: runs side by side (make test while make fuzz) must not mix reports.
report="$ROOT/.local/schemathesis/run-$(date +%Y%m%dT%H%M%S)-$$"
mkdir -p "$report"
echo "schemathesis.sh: seed $seed, user $email, against $base_url/<function>/" >&2
started=$(date +%s)
status=0
"$VENV/bin/schemathesis" --config-file "$HERE/schemathesis.toml" run "$ROOT/openapi.yaml" \
  --url "$base_url" --mode all --checks "$CHECKS" "${args[@]}" \
  --report junit,ndjson --report-dir "$report" --no-color "${extra[@]}" || status=$?
echo "schemathesis.sh: requests per operation:" >&2
"$ROOT/.venv/bin/python" "$HERE/stats.py" "$report" >&2 || true
echo "schemathesis.sh: $(( $(date +%s) - started )) s, exit $status (reports in $report)" >&2
exit "$status"
