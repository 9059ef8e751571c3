#!/usr/bin/env bash
# Fuzzes every input parser of the shared crate with cargo-fuzz (libFuzzer), one
# target after the other, FUZZ_SECONDS each (default 120), growing fuzz/corpus/<target>.
#
#   fuzz/run.sh                      every target, 120 s each
#   FUZZ_SECONDS=600 fuzz/run.sh     longer
#   fuzz/run.sh query upload_id      some targets only
#   FUZZ_CMIN=1 fuzz/run.sh          minimise each corpus afterwards (cargo fuzz cmin)
#
# Needs the nightly toolchain and cargo-fuzz (CI and `make test` need neither). A
# finding stops the run with a non-zero status; libFuzzer leaves the input in
# fuzz/artifacts/<target>/ and `cargo +nightly fuzz run <target> <file>` replays it.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
seconds=${FUZZ_SECONDS:-120}
# The shared crate is safe Rust: no sanitizer, so runs are several times faster;
# overflow checks and debug assertions are on (Cargo.toml's release profile).
flags=(--sanitizer none)

if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "fuzz/run.sh: the nightly toolchain is missing: rustup toolchain install nightly --profile minimal" >&2
    exit 2
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz/run.sh: cargo-fuzz is missing: cargo install --locked cargo-fuzz" >&2
    exit 2
fi
if ! [[ $seconds =~ ^[1-9][0-9]*$ ]]; then
    echo "fuzz/run.sh: FUZZ_SECONDS must be a whole number of seconds, not '$seconds'" >&2
    exit 2
fi

# Its own target dir (the fuzz build instruments every crate; it must not touch
# the workspace's target/), whatever the Makefile exports.
export CARGO_TARGET_DIR="$here/target"
cd "$here"

if (($# > 0)); then
    targets=("$@")
else
    mapfile -t targets < <(cargo +nightly fuzz list)
fi

echo "fuzz/run.sh: building ${targets[*]} (the first build compiles the AWS SDK: minutes)" >&2
cargo +nightly fuzz build "${flags[@]}" >&2

logs="$here/target/logs"
mkdir -p "$logs"
summary=()
for target in "${targets[@]}"; do
    corpus="corpus/$target"
    mkdir -p "$corpus"
    before=$(find "$corpus" -type f | wc -l)
    echo "fuzz/run.sh: $target for ${seconds}s (corpus: $before files)" >&2
    started=$(date +%s)
    status=0
    cargo +nightly fuzz run "${flags[@]}" "$target" "$corpus" -- \
        -max_total_time="$seconds" -dict=dict/homedir.dict -print_final_stats=1 \
        >"$logs/$target.log" 2>&1 || status=$?
    elapsed=$(($(date +%s) - started))
    after=$(find "$corpus" -type f | wc -l)
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logs/$target.log" | tail -1)
    line="$target: ${elapsed}s, ${runs:-?} executions, corpus $before -> $after files"
    if ((status != 0)); then
        tail -40 "$logs/$target.log" >&2
        echo "fuzz/run.sh: FINDING in $line; input in fuzz/artifacts/$target/, log $logs/$target.log" >&2
        exit 1
    fi
    if [[ ${FUZZ_CMIN:-0} == 1 ]]; then
        cargo +nightly fuzz cmin "${flags[@]}" "$target" "$corpus" >>"$logs/$target.log" 2>&1
        line="$line, $(find "$corpus" -type f | wc -l) after cmin"
    fi
    echo "fuzz/run.sh: $line" >&2
    summary+=("$line")
done

echo "fuzz/run.sh: no finding"
printf '  %s\n' "${summary[@]}"
