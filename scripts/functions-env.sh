#!/usr/bin/env bash
# Prints the local functions' environment (the web page's too) as KEY=VALUE lines (for
# homedir-gateway's --env-file): the stack's settings, taken from the environment that
# scripts/local-stack.sh exported, and the function role's own local credentials,
# which the emulator refuses every S3 call, as AWS refuses the real role.
set -euo pipefail
for name in AWS_ENDPOINT_URL AWS_REGION USER_POOL_ID USER_POOL_CLIENT_ID IDENTITY_POOL_ID BUCKET_NAME HOME_PREFIX UPLOAD_ID_KEY; do
  echo "$name=${!name}"
done
# The web page's settings (homedir::web): Cognito and the presigned URLs are the
# emulator, the API routes are the local gateway's /lambda-url/<function>/.
echo "WEB_COGNITO_URL=${AWS_ENDPOINT_URL%/}/"
echo "WEB_S3_ORIGINS=${AWS_ENDPOINT_URL%/}"
echo "WEB_API_BASE=/lambda-url"
echo "AWS_ACCESS_KEY_ID=AKIAHOMEDIRFUNCTION0"
echo "AWS_SECRET_ACCESS_KEY=local-function-secret"
echo "AWS_EC2_METADATA_DISABLED=true"
echo "RUST_LOG=${RUST_LOG:-info}"
