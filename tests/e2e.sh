#!/usr/bin/env bash
# The end-to-end suite (tests/tests/e2e/) over real HTTP, and S3 with a user's own credentials.
#
#   tests/e2e.sh [--local] [-- RUNNER-ARGS...]
#
# --local      a private local stack (scripts/local-stack.sh: the emulator on a free port,
#              provisioned like template.yaml) with the four functions and the web
#              page served by homedir-gateway (gateway/) on another free loopback port; then
#              the page in headless Chromium (tests/browser/; HOMEDIR_E2E_BROWSER=0
#              skips it); `make e2e-local`.
#              After the suite, the bounded schemathesis run of openapi.yaml against the
#              same functions (tests/contract/schemathesis.sh).
# (default)    the deployed stack STACK_NAME (default homedir) in AWS_REGION /
#              AWS_DEFAULT_REGION, through its API Gateway URL, with the ambient AWS
#              credentials (they create and delete the test users); `make e2e`.
#
# RUNNER-ARGS go to `cargo nextest run` (or `cargo test`), e.g. a test-name filter.
# HOMEDIR_E2E_ONLY=browser (with --local): only the browser test, against the same kind
# of private stack (builds the binaries, not the suite; no Rust suite, no schemathesis);
# RUNNER-ARGS then go to pytest (e.g. -k authenticator).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$ROOT/.venv/bin:$PATH"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
PY="$ROOT/.venv/bin/python"

die() { echo "e2e: $*" >&2; exit 2; }

mode=deployed
inner_port=""
runner_args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --local) mode=local; shift ;;
    # Internal: the part of --local that runs inside scripts/local-stack.sh.
    --local-inner) mode=local-inner; inner_port="$2"; shift 2 ;;
    --) shift; runner_args=("$@"); break ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (try --help)" ;;
  esac
done

[[ -x $PY ]] || die "no .venv; run 'make venv' first"

only="${HOMEDIR_E2E_ONLY:-}"
case "$only" in
  "") ;;
  browser) [[ $mode != deployed ]] || die "HOMEDIR_E2E_ONLY=browser needs --local (the browser test runs against a local stack)" ;;
  *) die "HOMEDIR_E2E_ONLY=$only: the only choice is browser" ;;
esac

# --workspace, not -p homedir-tests: cargo unifies features over the packages a command
# selects, so `-p` would build the whole AWS SDK again in a feature set of its own;
# with --workspace the suite reuses what `cargo build --workspace --all-targets` (make
# test's first step) already built.
if cargo nextest --version >/dev/null 2>&1; then
  runner=(cargo nextest run --workspace --test e2e)
  build_tests=(cargo nextest run --workspace --test e2e --no-run)
else
  runner=(cargo test --workspace --test e2e)
  build_tests=(cargo test --workspace --test e2e --no-run)
fi

free_port() {
  "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

case "$mode" in
# --------------------------------------------------------------------------------
local)
  mkdir -p .local
  port=$(free_port)
  exec scripts/local-stack.sh --env .local/e2e-stack.env --gateway-port "$port" \
    -- "$0" --local-inner "$port" -- "${runner_args[@]}"
  ;;

# --------------------------------------------------------------------------------
local-inner)
  # Inside scripts/local-stack.sh: the stack's settings are exported.
  : "${AWS_ENDPOINT_URL:?run through scripts/local-stack.sh}"
  # Nothing local may go looking for real AWS credentials.
  export AWS_EC2_METADATA_DISABLED=true
  port="$inner_port"
  # Named after the port: two runs at once (another checkout's make test, a second
  # shell) must not hand each other's emulator to their functions.
  env_file=.local/e2e-functions-$port.env
  log=.local/e2e-watch-$port.log

  # The functions' environment: the stack's settings and the function role's own
  # (local, S3-less) credentials.
  scripts/functions-env.sh >"$env_file"

  # Build everything first, so no two cargo processes wait on each other's build lock
  # while the suite runs. One feature set, the workspace's (what `make test` built
  # first): the functions, the local gateway, the command-line client
  # tests/tests/e2e/cli.rs runs ($CARGO_TARGET_DIR/debug/homedir) and the suite.
  if [[ $only == browser ]]; then what="the binaries"; else what="the binaries and the suite"; fi
  echo "e2e: building $what…" >&2
  cargo build -q --workspace --bins
  if [[ $only != browser ]]; then
    "${build_tests[@]}" >/dev/null 2>&1 || "${build_tests[@]}"
  fi

  # Its own session, so the gateway and the function processes it starts stop together.
  # The stack's functions: template.yaml's binaries, each with its environment and its
  # role's credentials, invoked by the emulator's Lambda here too (--gateway-port above).
  setsid "$CARGO_TARGET_DIR/debug/homedir-gateway" --listen "127.0.0.1:$port" --env-file "$env_file" \
    --functions "$FUNCTION_BINARIES" --function-config "$FUNCTIONS_CONFIG" \
    >"$log" 2>&1 </dev/null &
  watch=$!
  stop_watch() {
    kill -TERM -- "-$watch" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$watch" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL -- "-$watch" 2>/dev/null || true
    wait "$watch" 2>/dev/null || true
  }
  trap stop_watch EXIT
  trap 'exit 130' INT TERM

  # Ready when every function answers a token-less request with its own 401 (the
  # first request to each one starts its process).
  base="http://127.0.0.1:$port/lambda-url"
  echo "e2e: waiting for the local gateway on 127.0.0.1:$port…" >&2
  ready=""
  for _ in $(seq 1 300); do
    kill -0 "$watch" 2>/dev/null || { echo "e2e: the local gateway exited; its log:" >&2; cat "$log" >&2; exit 1; }
    if "$PY" - "$base" <<'PY'
import sys, urllib.request, urllib.error
base = sys.argv[1]
for route, method in (("read-file", "GET"), ("write-file", "PUT"), ("list", "GET"), ("delete", "DELETE")):
    request = urllib.request.Request(f"{base}/{route}/?key=warm-up", method=method)
    try:
        urllib.request.urlopen(request, timeout=30)
        sys.exit(1)
    except urllib.error.HTTPError as error:
        if error.code != 401:
            sys.exit(1)
    except OSError:
        sys.exit(1)
try:  # the web page: public, 200
    with urllib.request.urlopen(f"{base}/web/", timeout=30) as page:
        sys.exit(0 if page.status == 200 else 1)
except OSError:
    sys.exit(1)
PY
    then ready=yes; break; fi
    sleep 1
  done
  [[ -n $ready ]] || { echo "e2e: the functions did not answer in time; the watcher's log:" >&2; cat "$log" >&2; exit 1; }

  status=0
  browser_args=(tests/browser)
  if [[ $only == browser ]]; then
    # Only the browser test: RUNNER-ARGS are pytest's (-k NAME, -x, …).
    [[ ${#runner_args[@]} -eq 0 ]] || browser_args+=("${runner_args[@]}")
  else
    echo "e2e: running the suite against $base/{route}/" >&2
    HOMEDIR_E2E_URL="$base/{route}/" HOMEDIR_E2E_TARGET=local \
      "${runner[@]}" "${runner_args[@]}" || status=$?
    if [[ $status -ne 0 ]]; then
      echo "e2e: the suite failed; the functions' log is $log (last lines below)" >&2
      tail -n 40 "$log" >&2
    fi

    # The contract: schemathesis over every operation of openapi.yaml, bounded (fixed
    # seed and example budget), against the same served functions.
    echo "e2e: schemathesis against $base/{route}/ (tests/contract/schemathesis.sh)" >&2
    contract=0
    tests/contract/schemathesis.sh "$base" || contract=$?
    if [[ $contract -ne 0 ]]; then
      echo "e2e: schemathesis found failures; the functions' log is $log" >&2
      [[ $status -ne 0 ]] || status=$contract
    fi
  fi

  # The web page in a real browser, against the same functions (screenshots in
  # target/browser/).
  if [[ ${HOMEDIR_E2E_BROWSER:-1} != 0 || $only == browser ]]; then
    echo "e2e: the web page in headless Chromium ($base/web/, tests/browser)" >&2
    browser=0
    HOMEDIR_WEB_URL="$base/web/" HOMEDIR_BROWSER_ARTEFACTS="$CARGO_TARGET_DIR/browser" \
      "$PY" -m pytest -q -p no:cacheprovider "${browser_args[@]}" || browser=$?
    if [[ $browser -ne 0 ]]; then
      echo "e2e: the browser test failed; screenshots in $CARGO_TARGET_DIR/browser, the functions' log is $log" >&2
      [[ $status -ne 0 ]] || status=$browser
    fi
  fi
  exit "$status"
  ;;

# --------------------------------------------------------------------------------
deployed)
  stack_name="${STACK_NAME:-homedir}"
  region="${AWS_REGION:-${AWS_DEFAULT_REGION:-}}"
  [[ -n $region ]] || die "set AWS_REGION (or AWS_DEFAULT_REGION) to the region of the stack '$stack_name'"
  if [[ -n ${AWS_ENDPOINT_URL:-} ]]; then
    die "AWS_ENDPOINT_URL is set ($AWS_ENDPOINT_URL): unset it to test a deployed stack, or run 'make e2e-local'"
  fi
  mkdir -p .local
  env_file="$ROOT/.local/e2e-deployed.env"

  # The stack's outputs and HomePrefix parameter, as KEY=VALUE lines plus API_URL.
  settings=$("$PY" - "$stack_name" "$region" <<'PY'
import sys
import boto3
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

stack_name, region = sys.argv[1], sys.argv[2]
try:
    cfn = boto3.client("cloudformation", region_name=region)
    stacks = cfn.describe_stacks(StackName=stack_name)["Stacks"]
except NoCredentialsError:
    sys.exit(f"e2e: no AWS credentials found: configure them (aws configure, AWS_PROFILE, or AWS_ACCESS_KEY_ID/"
             f"AWS_SECRET_ACCESS_KEY) for the account that holds the stack '{stack_name}'")
except NoRegionError:
    sys.exit("e2e: no AWS region: set AWS_REGION")
except ClientError as error:
    code = error.response.get("Error", {}).get("Code", "")
    message = error.response.get("Error", {}).get("Message", "")
    if "does not exist" in message:
        sys.exit(f"e2e: no stack '{stack_name}' in {region}: deploy it first (make deploy) or set STACK_NAME")
    sys.exit(f"e2e: cannot read the stack '{stack_name}' in {region}: {code}: {message}")
except BotoCoreError as error:
    sys.exit(f"e2e: cannot read the stack '{stack_name}' in {region}: {error}")
stack = stacks[0]
if not stack["StackStatus"].endswith("_COMPLETE") or "ROLLBACK" in stack["StackStatus"]:
    sys.exit(f"e2e: the stack '{stack_name}' is {stack['StackStatus']}, not deployed")
outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
parameters = {p["ParameterKey"]: p.get("ParameterValue", "") for p in stack.get("Parameters", [])}
wanted = ["ApiUrl", "Region", "UserPoolId", "UserPoolClientId", "IdentityPoolId", "BucketName"]
missing = [name for name in wanted if not outputs.get(name)]
if missing:
    sys.exit(f"e2e: the stack '{stack_name}' has no output(s) {', '.join(missing)}: is it homedir's template.yaml?")
print(f"API_URL={outputs['ApiUrl']}")
print(f"AWS_REGION={outputs['Region']}")
print(f"USER_POOL_ID={outputs['UserPoolId']}")
print(f"USER_POOL_CLIENT_ID={outputs['UserPoolClientId']}")
print(f"IDENTITY_POOL_ID={outputs['IdentityPoolId']}")
print(f"BUCKET_NAME={outputs['BucketName']}")
print(f"HOME_PREFIX={parameters.get('HomePrefix') or 'home'}")
PY
  ) || { echo "e2e: cannot test the deployed stack (see above)" >&2; exit 2; }

  api_url=$(sed -n 's/^API_URL=//p' <<<"$settings")
  {
    echo "# The deployed stack '$stack_name' ($region), written by tests/e2e.sh."
    echo "# No AWS_ENDPOINT_URL: the suite uses the ambient AWS credentials for admin calls."
    grep -v '^API_URL=' <<<"$settings"
  } >"$env_file"

  echo "e2e: building the suite…" >&2
  "${build_tests[@]}" >/dev/null 2>&1 || "${build_tests[@]}"
  echo "e2e: running the suite against ${api_url%/}/{route} (stack '$stack_name', $region)" >&2
  HOMEDIR_E2E_URL="${api_url%/}/{route}" HOMEDIR_E2E_TARGET=deployed HOMEDIR_STACK_ENV="$env_file" \
    exec "${runner[@]}" "${runner_args[@]}"
  ;;
esac
