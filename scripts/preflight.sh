#!/usr/bin/env bash
# Checks, in a second, that this machine has what a make verb needs, before any long
# build starts. What the project can install itself (its virtualenvs, the arm64 Rust
# target) the Makefile installs; anything else stops here with the exact command to
# install it, for Debian/Ubuntu and for macOS. The README's "Prerequisites" lists the
# same things.
#
#   scripts/preflight.sh test|dev|lint|bench|build
set -uo pipefail
cd "$(dirname "$0")/.."

verb="${1:-test}"
missing=0
os=$(uname -s)

# need WHAT DEBIAN-COMMAND MACOS-COMMAND: report one missing prerequisite.
need() {
  missing=1
  echo "preflight: $1 is missing. Install it:" >&2
  if [[ $os == Darwin ]]; then
    echo "    $3" >&2
  else
    echo "    $2" >&2
  fi
}

rust_install='curl --proto =https --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y && . "$HOME/.cargo/env"'
if ! command -v cargo >/dev/null 2>&1 || ! command -v rustc >/dev/null 2>&1; then
  need "Rust (cargo and rustc)" "$rust_install" "$rust_install"
else
  # The workspace's rust-version (Cargo.toml), which the AWS SDK crates need.
  wanted=$(sed -n 's/^rust-version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
  have=$(rustc --version | awk '{print $2}')
  if [[ -n $wanted ]] && [[ $(printf '%s\n%s\n' "$wanted" "$have" | sort -V | head -n1) != "$wanted" ]]; then
    need "Rust $wanted or newer (this is $have)" "rustup update stable" "rustup update stable"
  fi
  if ! command -v cc >/dev/null 2>&1; then
    need "a C compiler and linker" "sudo apt-get install -y build-essential" "xcode-select --install"
  fi
fi

if [[ $verb == lint ]]; then
  cargo fmt --version >/dev/null 2>&1 || need "rustfmt" "rustup component add rustfmt" "rustup component add rustfmt"
  cargo clippy --version >/dev/null 2>&1 || need "clippy" "rustup component add clippy" "rustup component add clippy"
fi

if ! command -v python3 >/dev/null 2>&1; then
  need "Python 3.11+" "sudo apt-get install -y python3 python3-venv" "brew install python"
elif ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  need "Python 3.11 or newer (this is $(python3 --version 2>&1))" "sudo apt-get install -y python3 python3-venv" "brew install python"
elif ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  need "Python's venv module" "sudo apt-get install -y python3-venv" "brew install python"
fi

if [[ $verb == test ]]; then
  chromium="${HOMEDIR_CHROMIUM:-/usr/bin/chromium}"
  chromedriver="${HOMEDIR_CHROMEDRIVER:-/usr/bin/chromedriver}"
  if [[ ! -x $chromium ]]; then
    need "Chromium for the browser test ($chromium; or set HOMEDIR_CHROMIUM)" \
      "sudo apt-get install -y chromium chromium-driver" \
      "brew install --cask chromium   # then: export HOMEDIR_CHROMIUM=/Applications/Chromium.app/Contents/MacOS/Chromium"
  fi
  if [[ ! -x $chromedriver ]]; then
    need "ChromeDriver for the browser test ($chromedriver; or set HOMEDIR_CHROMEDRIVER)" \
      "sudo apt-get install -y chromium chromium-driver" \
      "brew install chromedriver   # then: export HOMEDIR_CHROMEDRIVER=\$(command -v chromedriver)"
  fi
fi

if [[ $verb == test ]] && ! command -v rclone >/dev/null 2>&1; then
  # The end-to-end test of the S3 tools (tests/tests/e2e/cli/s3_tools.rs) runs rclone;
  # HOMEDIR_E2E_RCLONE=0 skips that test where rclone cannot be installed.
  if [[ ${HOMEDIR_E2E_RCLONE:-1} != 0 ]]; then
    need "rclone for the S3 tools test (or HOMEDIR_E2E_RCLONE=0 to skip it)" \
      "sudo apt-get install -y rclone" "brew install rclone"
  fi
fi

if [[ $missing -ne 0 ]]; then
  echo "preflight: 'make $verb' needs the above; see the README's Prerequisites." >&2
  exit 2
fi
if [[ $verb == test ]] && ! cargo nextest --version >/dev/null 2>&1; then
  echo "preflight: cargo-nextest is not installed; using cargo test (faster: cargo install --locked cargo-nextest)" >&2
fi
exit 0
