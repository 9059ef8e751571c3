#!/usr/bin/env bash
# Serves the stack's functions (the four API functions, the web page, and any other
# function template.yaml declares: FUNCTION_BINARIES) with homedir-gateway (gateway/: the
# binaries as API Gateway and Lambda run them, each with its template environment and
# its role's credentials from FUNCTIONS_CONFIG) against the stack whose settings are in
# the environment (run it through scripts/local-stack.sh --gateway-port, so the
# emulator's Lambda invokes them here). After an edit, rebuild (`cargo build --workspace
# --bins` in another shell): the next request runs the new binary.
set -euo pipefail
cd "$(dirname "$0")/.."
port=${WATCH_PORT:-9000}

scripts/functions-env.sh > .local/functions.env

echo "building the functions…" >&2
# The workspace's feature set, the one `make test` builds: one build of the AWS SDK.
cargo build -q --workspace --bins

base="http://127.0.0.1:$port/lambda-url"
cat >&2 <<MSG

homedir is running locally.
  emulator : $AWS_ENDPOINT_URL   (settings in .local/stack.env)
  functions: $base/<function>/
  web page : $base/web/   (sign in as a user below)
  users    : $DEMO_USER_1_EMAIL and $DEMO_USER_2_EMAIL, password $DEMO_PASSWORD

Try, in another shell:
  TOKEN=\$(make -s token EMAIL=$DEMO_USER_1_EMAIL)
  curl -X PUT  -H "Authorization: Bearer \$TOKEN" -H 'Content-Type: text/plain' --data-binary 'hello' '$base/write-file/?key=notes/hello.txt'
  curl         -H "Authorization: Bearer \$TOKEN" '$base/read-file/?key=notes/hello.txt'
  curl         -H "Authorization: Bearer \$TOKEN" '$base/list/?prefix=notes/&delimiter=/'
  curl -X DELETE -H "Authorization: Bearer \$TOKEN" '$base/delete/?key=notes/hello.txt'

Or with the command-line client (cargo install --path cli):
  homedir config --local --port $port
  homedir login --email $DEMO_USER_1_EMAIL
  homedir put README.md notes/ && homedir ls notes && homedir get notes/README.md -

Ctrl-C stops everything.
MSG
function_flags=()
[[ -z ${FUNCTION_BINARIES:-} ]] || function_flags+=(--functions "$FUNCTION_BINARIES")
[[ -z ${FUNCTIONS_CONFIG:-} ]] || function_flags+=(--function-config "$FUNCTIONS_CONFIG")
exec "${CARGO_TARGET_DIR:-target}/debug/homedir-gateway" --listen "127.0.0.1:$port" --env-file .local/functions.env \
  "${function_flags[@]}"
