#!/usr/bin/env bash
# `make deploy`: the first time `sam deploy --guided` (it asks for the stack name,
# region and parameters, and saves them to samconfig.toml); afterwards plain
# `sam deploy` from samconfig.toml. Needs AWS credentials in the environment.
set -euo pipefail
cd "$(dirname "$0")/.."
export SAM_CLI_TELEMETRY=0
sam=.venv-lint/sam/bin/sam
if [[ -f samconfig.toml ]]; then
  exec "$sam" deploy
else
  exec "$sam" deploy --guided --capabilities CAPABILITY_IAM
fi
