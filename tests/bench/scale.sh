#!/usr/bin/env bash
# How population work grows with the population: generate N synthetic clinicians, score them
# (merit batch, every core), then solve budget neutrality (merit payments), for N = 10k, 100k
# and 1M (or the sizes given). Prints wall time, throughput and peak memory of each step as a
# Markdown table. A benchmark, not a test: see tests/bench/README.md ("Population scale").
#
#   tests/bench/scale.sh [BUILD_DIR] [N...]        e.g. tests/bench/scale.sh build 10000 100000
#
# Files go to $SCALE_DIR (default a temporary directory, removed at the end): 1M cases are
# about 1.8 GB of JSON lines.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
shift || true
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10000 100000 1000000)
merit="$build/tools/merit"
[ -x "$merit" ] || { echo "scale.sh: no $merit (build the Release tree first)" >&2; exit 2; }
work=${SCALE_DIR:-$(mktemp -d)}
[ -n "${SCALE_DIR:-}" ] || trap 'rm -rf "$work"' EXIT
year=${SCALE_YEAR:-2018}

# Runs a command; sets $secs (wall) and $peak (max RSS, MB) when GNU time is there.
measure() {
  local log="$work/time.log"
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f "%e %M" -o "$log" "$@" >/dev/null 2>"$work/stderr.log"
    read -r secs kb <"$log"
    peak=$((kb / 1024))
  else
    local t0 t1
    t0=$(date +%s.%N)
    "$@" >/dev/null 2>"$work/stderr.log"
    t1=$(date +%s.%N)
    secs=$(echo "$t1 - $t0" | bc)
    peak="?"
  fi
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| clinicians | generate | JSONL size | batch (JSONL -> JSONL) | lines/s | batch peak memory | payments | payments peak memory |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
for n in "${sizes[@]}"; do
  cases="$work/pop-$n.jsonl"
  results="$work/res-$n.jsonl"
  measure "$merit" generate --year "$year" --count "$n" --seed 7 -o "$cases" -q
  gen=$secs
  size=$(($(stat -c %s "$cases") / 1000000))
  measure "$merit" batch --year "$year" "$cases" -o "$results"
  batch=$secs
  batch_peak=$peak
  rate=$(echo "$n / $batch" | bc)
  measure "$merit" payments --year "$year" "$results" -o "$work/adj-$n.jsonl"
  echo "| $n | $gen s | $size MB | $batch s | $rate | $batch_peak MB | $secs s | $peak MB |"
  rm -f "$cases" "$results" "$work/adj-$n.jsonl"
done
