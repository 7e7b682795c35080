#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (own build directory) and runs each one in turn.
#   tests/fuzz/run_fuzzers.sh [seconds-per-target] [target...]
#     seconds: default 60.  targets: parse load eval submission batch_line payments_lines (default: all six).
# Environment: BUILD_DIR (default <repo>/build-fuzz), JOBS (ninja -j, default 1),
#              MAX_LEN (default 4096), TIMEOUT (per input, seconds, default 10),
#              RSS_LIMIT_MB (default 2048), FUZZ_ARGS (extra libFuzzer flags).
# New inputs go to a scratch corpus under the build dir (the checked-in corpus is only read);
# crashes are written to $BUILD_DIR/fuzz-artifacts/. Exits non-zero if any target fails.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
seconds="${1:-60}"
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(parse load eval submission batch_line payments_lines)
build="${BUILD_DIR:-$repo/build-fuzz}"
jobs="${JOBS:-1}"
max_len="${MAX_LEN:-4096}"
timeout="${TIMEOUT:-10}"
rss="${RSS_LIMIT_MB:-2048}"

CC=clang CXX=clang++ cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DMERIT_FUZZ=ON -DMERIT_BUILD_TESTS=OFF -DMERIT_BUILD_TOOLS=OFF -DMERIT_BUILD_BENCH=OFF >/dev/null
ninja -C "$build" -j "$jobs" $(printf 'fuzz_%s ' "${targets[@]}")

artifacts="$build/fuzz-artifacts"
mkdir -p "$artifacts"
status=0
for t in "${targets[@]}"; do
  exe="$build/tests/fuzz/fuzz_$t"
  seeds="$here/corpus/fuzz_$t"
  work="$build/fuzz-corpus/fuzz_$t"
  mkdir -p "$work"
  echo "=== fuzz_$t: ${seconds}s (max_len $max_len, timeout ${timeout}s)"
  # libFuzzer writes new inputs to the first directory only: the scratch one. One process at a
  # time, in the foreground (no -jobs/-workers: the machine is shared).
  log="$build/fuzz_$t.log"
  set +e
  "$exe" "$work" "$seeds" -max_total_time="$seconds" -max_len="$max_len" -timeout="$timeout" \
    -rss_limit_mb="$rss" -print_final_stats=1 -artifact_prefix="$artifacts/fuzz_${t}-" ${FUZZ_ARGS:-} \
    >"$log" 2>&1
  rc=$?
  set -e
  grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)|^(SUMMARY|stat::)|ERROR|Test unit written' "$log" || true
  if [ "$rc" -ne 0 ] || grep -qE 'ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer)|runtime error' "$log"; then
    echo "!!! fuzz_$t FAILED (exit $rc): see $log and $artifacts" >&2
    status=1
  fi
done
exit $status
