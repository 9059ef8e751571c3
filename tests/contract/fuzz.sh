#!/usr/bin/env bash
# `make fuzz`: the long, randomized runs. A private local stack (scripts/local-stack.sh)
# with the four functions served by homedir-gateway on a free loopback port, then
# tests/contract/schemathesis.sh --fuzz against them (a random seed it prints,
# CONTRACT_FUZZ_EXAMPLES examples per operation, default 1000), then, if it exists,
# fuzz/run.sh (the cargo-fuzz targets of the parsers). Stops at the first failure.
#
#   tests/contract/fuzz.sh [-- SCHEMATHESIS-ARGS...]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
export AWS_EC2_METADATA_DISABLED=true
export PATH="$ROOT/.venv/bin:$PATH"
PY="$ROOT/.venv/bin/python"
[[ -x $PY ]] || { echo "fuzz.sh: no .venv; run 'make venv' first" >&2; exit 2; }

if [[ "${1:-}" != "--inner" ]]; then
  mkdir -p .local
  [[ "${1:-}" == "--" ]] && shift
  scripts/local-stack.sh --env .local/fuzz-stack.env -- "$0" --inner "$@"
  if [[ -x fuzz/run.sh ]]; then
    echo "fuzz.sh: fuzz/run.sh (the cargo-fuzz targets)" >&2
    fuzz/run.sh
  else
    echo "fuzz.sh: no fuzz/run.sh; only the schemathesis run was made" >&2
  fi
  exit 0
fi
shift
[[ "${1:-}" == "--" ]] && shift

# Inside scripts/local-stack.sh: serve the functions, as tests/e2e.sh --local does.
port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
env_file=.local/fuzz-functions.env
log=.local/fuzz-watch.log
scripts/functions-env.sh >"$env_file"
echo "fuzz.sh: building the functions…" >&2
cargo build -q --workspace --bins
setsid "${CARGO_TARGET_DIR:-target}/debug/homedir-gateway" --listen "127.0.0.1:$port" --env-file "$env_file" \
  >"$log" 2>&1 </dev/null &
watch=$!
stop_watch() {
  kill -TERM -- "-$watch" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$watch" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$watch" 2>/dev/null || true
  wait "$watch" 2>/dev/null || true
}
trap stop_watch EXIT
trap 'exit 130' INT TERM

base="http://127.0.0.1:$port/lambda-url"
for _ in $(seq 1 300); do
  kill -0 "$watch" 2>/dev/null || { echo "fuzz.sh: the local gateway exited; its log:" >&2; cat "$log" >&2; exit 1; }
  # Ready when each function answers a token-less request with its own 401.
  ready=yes
  for route in read-file write-file list delete; do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 -X DELETE "$base/$route/?key=warm-up" || true)
    [[ $code == 401 || $code == 405 ]] || { ready=""; break; }
  done
  [[ -n $ready ]] && break
  sleep 1
done
[[ -n $ready ]] || { echo "fuzz.sh: the functions did not answer in time; log:" >&2; cat "$log" >&2; exit 1; }

status=0
tests/contract/schemathesis.sh "$base" --fuzz -- "$@" || status=$?
if [[ $status -ne 0 ]]; then
  echo "fuzz.sh: schemathesis failed; the functions' log is $log (last lines below)" >&2
  tail -n 40 "$log" >&2
fi
exit "$status"
