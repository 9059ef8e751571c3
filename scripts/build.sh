#!/usr/bin/env bash
# `make build`: `sam build` of the eight functions for arm64 (provided.al2023), offline,
# through cargo-lambda from the project virtualenv; then each artefact's size.
set -euo pipefail
cd "$(dirname "$0")/.."
rustup target list --installed | grep -qx aarch64-unknown-linux-gnu || rustup target add aarch64-unknown-linux-gnu
scripts/lint.sh --tools-only
export PATH="$PWD/.venv/bin:$PATH" SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"
.venv-lint/sam/bin/sam build --beta-features --template-file template.yaml

echo
echo "| function | bootstrap (unzipped) | zipped (deflate, as sam deploy uploads) |"
echo "|---|---|---|"
for dir in .aws-sam/build/*Function; do
  .venv/bin/python - "$dir" <<'PY'
import io, os, sys, zipfile
d = sys.argv[1]
path = os.path.join(d, "bootstrap")
raw = os.path.getsize(path)
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
    z.write(path, "bootstrap")
print(f"| {os.path.basename(d)} | {raw / 1e6:.2f} MB | {len(buf.getvalue()) / 1e6:.2f} MB |")
PY
done
