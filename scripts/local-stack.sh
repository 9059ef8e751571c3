#!/usr/bin/env bash
# Runs a command against a local AWS stack, then tears the stack down.
#
#   scripts/local-stack.sh [--port P] [--gateway-port G] [--env FILE] [--demo-users] [--persist DIR [--clean]] -- COMMAND...
#
# Starts the corrected moto emulator (tests/emulator) on 127.0.0.1 (a free port unless
# --port is given), deploys template.yaml into it as the CloudFormation stack
# homedir-local (tests/emulator/deploy.py: the SAM transform offline, then CreateStack,
# or UpdateStack when the stack is already there; the functions, the HTTP API and what
# only they use are left out, homedir-gateway serves them), adds the test fixtures
# (tests/emulator/provision.py), writes the stack's settings to FILE (default
# .local/test-stack.env) and runs COMMAND with them exported plus HOMEDIR_STACK_ENV=FILE.
# The emulator is stopped on any exit, including Ctrl-C. The exit status is COMMAND's.
#
# --gateway-port G: homedir-gateway will serve the functions on 127.0.0.1:G (COMMAND
# starts it): the emulator forwards Lambda's Invoke API and delivers S3's notifications
# there (its --lambda-gateway). The settings then name the stack's function binaries
# (FUNCTION_BINARIES) and the gateway's --function-config file (FUNCTIONS_CONFIG).
#
# Without --gateway-port, this script starts homedir-gateway itself on a free loopback
# port, serving only the user pool's own functions (token-claims, the pre-token-generation
# trigger every sign-in runs, and user-changes, the CloudTrail rule's function; built
# with `cargo build --workspace`), so that sign-ins and user changes work as in AWS; the
# API functions are then COMMAND's to run (in process, or under a gateway of its own).
#
# The stack is fresh and private, unless --persist DIR: then the emulator resumes what
# it saved in DIR/emulator-state.bin (the stack and every resource of it, objects and
# their versions, users, Identity IDs, the UploadIdKey secret), saves everything there
# again when it stops, and the deploy updates the saved stack in place (or finds it up
# to date). --clean removes DIR's saved state first.
set -euo pipefail
cd "$(dirname "$0")/.."

port=""
gateway_port=""
env_file=".local/test-stack.env"
provision_flags=()
persist=""
clean=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --port) port="$2"; shift 2 ;;
    --gateway-port) gateway_port="$2"; shift 2 ;;
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
gateway_flags=()
own_gateway=""
if [[ -z $gateway_port ]]; then
  own_gateway=1
  gateway_port=$($py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
fi
gateway_flags=(--lambda-gateway "http://127.0.0.1:$gateway_port")
ready_steps=100  # tenths of a second
if [[ -n $persist ]]; then
  mkdir -p "$persist"
  if [[ -n $clean ]]; then
    rm -f "$persist/emulator-state.bin" "$persist/upload-id-key"  # (the latter: older make devs kept it)
    echo "local data: starting clean (the saved state in $persist/ was removed)" >&2
  fi
  saved_flags=(--saved-state "$persist/emulator-state.bin")
  ready_steps=1200  # loading a large saved state takes about a second per GB
fi

$py tests/emulator/homedir_emulator.py --host 127.0.0.1 --port "$port" --state-dir "$state_dir" \
  "${saved_flags[@]}" "${gateway_flags[@]}" >"$log" 2>&1 &
emulator=$!
# The deploy of template.yaml starts beside the emulator: it transforms the template while
# the emulator starts, then waits for it. It writes the stack's settings (its outputs),
# the fixtures' and write-file's UPLOAD_ID_KEY, from the stack's UploadIdKey secret (as
# the deployment resolves it: never an output).
deploy_log="$state_dir/deploy.log"
$py tests/emulator/deploy.py --endpoint "http://127.0.0.1:$port" --region us-east-1 --wait $((ready_steps / 10 + 30)) \
  --cache .local/deploy-cache --out "$env_file" --signing-key "$state_dir/signing-key.pem" "${provision_flags[@]}" \
  >/dev/null 2>"$deploy_log" &
deployer=$!
directory_gateway=""
stop() {
  kill "$deployer" 2>/dev/null || true
  if [[ -n $directory_gateway ]]; then
    kill -TERM -- "-$directory_gateway" 2>/dev/null || true
    wait "$directory_gateway" 2>/dev/null || true
  fi
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

if ! wait "$deployer"; then
  cat "$deploy_log" >&2
  echo "local-stack.sh: the deploy of template.yaml failed (above)" >&2
  exit 1
fi
cat "$deploy_log" >&2

set -a
# shellcheck disable=SC1090
source "$env_file"
set +a
if [[ -n $own_gateway ]]; then
  target=${CARGO_TARGET_DIR:-target}
  [[ -x $target/debug/homedir-gateway && -x $target/debug/token-claims && -x $target/debug/user-changes ]] || {
    echo "local-stack.sh: build the functions first (cargo build --workspace)" >&2; exit 1; }
  # Its own session, so the gateway and the function processes it starts stop together.
  setsid "$target/debug/homedir-gateway" --listen "127.0.0.1:$gateway_port" --env-file "$env_file" \
    --bin-dir "$target/debug" --functions token-claims,user-changes --function-config "$FUNCTIONS_CONFIG" \
    >"$state_dir/directory-gateway.log" 2>&1 </dev/null &
  directory_gateway=$!
fi
export HOMEDIR_STACK_ENV="$PWD/$env_file"
"$@"
