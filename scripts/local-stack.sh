#!/usr/bin/env bash
# Runs a command against a local AWS stack, then tears the stack down.
#
#   scripts/local-stack.sh [--port P] [--env FILE] [--demo-users] [--persist DIR [--clean]] -- COMMAND...
#
# Starts the corrected moto emulator (tests/emulator) on 127.0.0.1 (a free port unless
# --port is given), provisions the same resources template.yaml declares, writes
# their settings to FILE (default .local/test-stack.env) and runs COMMAND with them
# exported plus HOMEDIR_STACK_ENV=FILE. The emulator is stopped on any exit,
# including Ctrl-C. The exit status is COMMAND's.
#
# The stack is fresh and private, unless --persist DIR: then the emulator resumes what
# it saved in DIR/emulator-state.bin (objects and their versions, user pools and users,
# identity pools and Identity IDs), saves everything there again when it stops, and the
# stack keeps its UPLOAD_ID_KEY in DIR/upload-id-key. Provisioning finds the saved
# resources by name and reuses them. --clean removes DIR's saved state first.
set -euo pipefail
cd "$(dirname "$0")/.."

port=""
env_file=".local/test-stack.env"
provision_flags=()
persist=""
clean=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --port) port="$2"; shift 2 ;;
    --env) env_file="$2"; shift 2 ;;
    --demo-users) provision_flags+=(--demo-users); shift ;;
    --persist) persist="$2"; shift 2 ;;
    --clean) clean=1; shift ;;
    --) shift; break ;;
    *) echo "local-stack.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[[ $# -gt 0 ]] || { echo "local-stack.sh: no command given" >&2; exit 2; }
[[ -z $clean || -n $persist ]] || { echo "local-stack.sh: --clean needs --persist" >&2; exit 2; }

py=.venv/bin/python
[[ -x $py ]] || { echo "local-stack.sh: no .venv; run 'make venv' first" >&2; exit 2; }
if [[ -z $port ]]; then
  port=$($py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
fi
state_dir=$(dirname "$env_file")/emulator-$port
mkdir -p "$state_dir"
log="$state_dir/emulator.log"

saved_flags=()
ready_steps=100  # tenths of a second
if [[ -n $persist ]]; then
  mkdir -p "$persist"
  if [[ -n $clean ]]; then
    rm -f "$persist/emulator-state.bin" "$persist/upload-id-key"
    echo "local data: starting clean (the saved state in $persist/ was removed)" >&2
  fi
  saved_flags=(--saved-state "$persist/emulator-state.bin")
  ready_steps=1200  # loading a large saved state takes about a second per GB
fi

$py tests/emulator/homedir_emulator.py --host 127.0.0.1 --port "$port" --state-dir "$state_dir" \
  "${saved_flags[@]}" >"$log" 2>&1 &
emulator=$!
stop() {
  if [[ -n $persist ]] && kill -0 "$emulator" 2>/dev/null && grep -q '^ready' "$log"; then
    echo "local data: saving to $persist/ …" >&2
  fi
  kill "$emulator" 2>/dev/null || true
  wait "$emulator" 2>/dev/null || true
  if [[ -n $persist ]]; then
    grep -E '^state: (saved|NOT saved)' "$log" | tail -n 1 | sed 's/^state: /local data: /' >&2 || true
  fi
}
trap stop EXIT
trap 'exit 130' INT TERM

for _ in $(seq 1 "$ready_steps"); do
  grep -q '^ready' "$log" 2>/dev/null && break
  if ! kill -0 "$emulator" 2>/dev/null; then
    echo "local-stack.sh: the emulator exited; its log:" >&2
    cat "$log" >&2
    if grep -q '^state: cannot resume' "$log"; then
      echo "local-stack.sh: to start clean, remove $persist/emulator-state.bin (make dev-clean does)" >&2
    fi
    exit 1
  fi
  sleep 0.1
done
grep -q '^ready' "$log" || {
  echo "local-stack.sh: the emulator did not become ready in $((ready_steps / 10)) s" >&2; cat "$log" >&2; exit 1
}
if [[ -n $persist ]]; then
  grep -E '^state: (fresh|resumed)' "$log" | sed 's/^state: /local data: /' >&2 || true
fi

$py tests/emulator/provision.py --endpoint "http://127.0.0.1:$port" --region us-east-1 \
  --out "$env_file" --signing-key "$state_dir/signing-key.pem" "${provision_flags[@]}" >/dev/null

# The deployment's secret for upload ids (template.yaml generates one in Secrets
# Manager); a fresh one per local stack, or with --persist the one kept beside the saved
# state (upload ids issued before a restart stay valid, as their uploads are kept).
new_upload_id_key() { $py -c 'import secrets; print(secrets.token_hex(32))'; }
if [[ -n $persist ]]; then
  if [[ ! -s $persist/upload-id-key ]]; then
    (umask 077; new_upload_id_key >"$persist/upload-id-key")
  fi
  echo "UPLOAD_ID_KEY=$(cat "$persist/upload-id-key")" >>"$env_file"
else
  echo "UPLOAD_ID_KEY=$(new_upload_id_key)" >>"$env_file"
fi

set -a
# shellcheck disable=SC1090
source "$env_file"
set +a
export HOMEDIR_STACK_ENV="$PWD/$env_file"
"$@"
