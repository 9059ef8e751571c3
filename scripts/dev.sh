#!/usr/bin/env bash
# `make dev`: the local stack on a fixed port with two demo users, and the four API
# functions and the web page served by homedir-gateway on 127.0.0.1:9000
# (scripts/serve-functions.sh). Ctrl-C stops it all.
#
# The stack is template.yaml, deployed into the emulator (tests/emulator/deploy.py,
# docs/emulator.md): after an edit of the template, stop and start again, and the saved
# stack is updated in place.
#
# Local data (the stack, objects and their versions, users, Identity IDs) is kept in
# .local/dev-state/ across restarts: saved there when the stack stops cleanly, resumed
# at the next start. CLEAN=1 (`make dev-clean`) removes it first and starts from nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
state=.local/dev-state
clean_flags=()
[[ -n ${CLEAN:-} && ${CLEAN} != 0 ]] && clean_flags=(--clean)
echo "make dev keeps local data in $state/ (saved on Ctrl-C, resumed at the next start); 'make dev-clean' starts from nothing." >&2
exec scripts/local-stack.sh --port "${EMULATOR_PORT:-5000}" --gateway-port "${WATCH_PORT:-9000}" \
  --env .local/stack.env --demo-users --persist "$state" "${clean_flags[@]}" -- scripts/serve-functions.sh
