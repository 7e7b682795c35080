#!/usr/bin/env bash
# Runs every test: installs what is missing, then builds and runs the whole ctest suite twice,
# once optimised and once under AddressSanitizer + UndefinedBehaviorSanitizer; runs the threaded
# code's tests under ThreadSanitizer; replays the fuzz
# corpora (part of ctest); fuzzes each target deterministically when clang's libFuzzer is
# available; and
# prints the benchmark figures (tests/bench, not a pass/fail test).
# Environment: MERIT_FUZZ_RUNS (default 10,000 inputs per target, 0 to skip), MERIT_SKIP_ASAN=1,
# MERIT_SKIP_TSAN=1.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh --with-fuzz
jobs=$(nproc)
rm -f build-test/ctest.log build-asan/ctest.log

echo "== build and test (release)"
cmake -S . -B build-test -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-test -j "$jobs"
(cd build-test && ctest --output-on-failure -j "$jobs") | tee build-test/ctest.log

if [[ "${MERIT_SKIP_ASAN:-0}" != 1 ]]; then
  echo "== build and test (AddressSanitizer + UndefinedBehaviorSanitizer)"
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DMERIT_SANITIZE=ON -DMERIT_BUILD_BENCH=OFF >/dev/null
  cmake --build build-asan -j "$jobs"
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
     ctest --output-on-failure -j "$jobs") | tee build-asan/ctest.log
fi

# The code that runs on several threads (batch's pipeline, payments' parallel read and write,
# impact's attribution, one program shared by evaluators), under ThreadSanitizer.
if [[ "${MERIT_SKIP_TSAN:-0}" != 1 ]]; then
  echo "== threaded code under ThreadSanitizer"
  cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMERIT_BUILD_BENCH=OFF \
    -DCMAKE_CXX_FLAGS=-fsanitize=thread -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread >/dev/null
  cmake --build build-tsan -j "$jobs" --target merit_tests
  TSAN_OPTIONS=halt_on_error=1 build-tsan/tests/merit_tests "[batch],[payments],[impact],*many threads*"
fi

# A fixed seed and a fixed number of runs make this step deterministic: it fails only on
# a real regression, never on the luck of a time-boxed run. Longer, random runs:
# tests/fuzz/run_fuzzers.sh SECONDS (see tests/fuzz/README.md).
runs=${MERIT_FUZZ_RUNS:-10000}
if [[ "$runs" != 0 && -x tests/fuzz/run_fuzzers.sh ]] && command -v clang++ >/dev/null; then
  echo "== fuzz each target: ${runs} inputs from seed 1"
  FUZZ_ARGS="-seed=1 -runs=${runs}" tests/fuzz/run_fuzzers.sh 600
fi

echo "== benchmarks (figures only)"
build-test/tests/bench/merit_bench --quick

# One closing line for both ctest runs (each one stopped the script above if anything failed).
passed=0
failed=0
for log in build-test/ctest.log build-asan/ctest.log; do
  [[ -f "$log" ]] || continue
  line=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1)
  total=${line##* out of }
  bad=$(echo "$line" | sed -E 's/.* ([0-9]+) tests? failed.*/\1/')
  passed=$((passed + total - bad))
  failed=$((failed + bad))
done
echo "== all tests (release and sanitizer runs)"
echo "tests: ${passed} passed, ${failed} failed"
