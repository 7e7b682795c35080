#!/usr/bin/env bash
# Runs a year's regression cases against CMS's full published tables instead of the policy's
# bundled excerpt: imports ../shared/cms/<year> into an overlay policy that extends
# policies/<year> (merit import-cms --extends), then runs merit test with --policy.
# Usage: run_full_tables.sh MERIT_BINARY SOURCE_DIR BUILD_DIR YEAR
set -euo pipefail
merit=$1 src=$2 out=$3/cms-$4 year=$4
cms=$src/../shared/cms/$year
rm -rf "$out"
"$merit" import-cms "$year" "$cms/measures-data.json" "$cms/benchmarks.json" -o "$out" \
  --override --extends "$src/policies/$year" --format json 2>"$out.import.log" || { cat "$out.import.log"; exit 1; }
"$merit" test --policy "$out" "$src/tests/regression/$year"
