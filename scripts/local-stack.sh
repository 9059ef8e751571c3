#!/usr/bin/env bash
# Runs a command against a fresh local AWS stack, then tears the stack down.
#
#   scripts/local-stack.sh [--port P] [--env FILE] [--demo-users] -- COMMAND...
#
# Starts the corrected moto emulator (tests/emulator) on 127.0.0.1 (a free port unless
# --port is given), provisions the same resources template.yaml declares, writes
# their settings to FILE (default .local/test-stack.env) and runs COMMAND with them
# exported plus HOMEDIR_STACK_ENV=FILE. The emulator is stopped on any exit,
# including Ctrl-C. The exit status is COMMAND's.
set -euo pipefail
cd "$(dirname "$0")/.."

port=""
env_file=".local/test-stack.env"
provision_flags=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --port) port="$2"; shift 2 ;;
    --env) env_file="$2"; shift 2 ;;
    --demo-users) provision_flags+=(--demo-users); shift ;;
    --) shift; break ;;
    *) echo "local-stack.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[[ $# -gt 0 ]] || { echo "local-stack.sh: no command given" >&2; exit 2; }

py=.venv/bin/python
[[ -x $py ]] || { echo "local-stack.sh: no .venv; run 'make venv' first" >&2; exit 2; }
if [[ -z $port ]]; then
  port=$($py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
fi
state_dir=$(dirname "$env_file")/emulator-$port
mkdir -p "$state_dir"
log="$state_dir/emulator.log"

$py tests/emulator/homedir_emulator.py --host 127.0.0.1 --port "$port" --state-dir "$state_dir" >"$log" 2>&1 &
emulator=$!
stop() { kill "$emulator" 2>/dev/null || true; wait "$emulator" 2>/dev/null || true; }
trap stop EXIT
trap 'exit 130' INT TERM

for _ in $(seq 1 100); do
  grep -q '^ready' "$log" 2>/dev/null && break
  kill -0 "$emulator" 2>/dev/null || { echo "local-stack.sh: the emulator exited; its log:" >&2; cat "$log" >&2; exit 1; }
  sleep 0.1
done
grep -q '^ready' "$log" || { echo "local-stack.sh: the emulator did not become ready in 10 s" >&2; cat "$log" >&2; exit 1; }

$py tests/emulator/provision.py --endpoint "http://127.0.0.1:$port" --region us-east-1 \
  --out "$env_file" --signing-key "$state_dir/signing-key.pem" "${provision_flags[@]}" >/dev/null

# The deployment's secret for upload ids (template.yaml generates one in Secrets
# Manager); a fresh one per local stack.
echo "UPLOAD_ID_KEY=$($py -c 'import secrets; print(secrets.token_hex(32))')" >>"$env_file"

set -a
# shellcheck disable=SC1090
source "$env_file"
set +a
export HOMEDIR_STACK_ENV="$PWD/$env_file"
"$@"
