#!/usr/bin/env bash
# `make dev`: the local stack on a fixed port with two demo users, and the four
# functions served by `cargo lambda watch` on 127.0.0.1:9000. Ctrl-C stops it all.
set -euo pipefail
cd "$(dirname "$0")/.."
exec scripts/local-stack.sh --port "${EMULATOR_PORT:-5000}" --env .local/stack.env --demo-users -- scripts/serve-functions.sh
