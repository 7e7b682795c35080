#!/usr/bin/env bash
# merit score on bad input: a located error on stderr, the documented exit code, and no output
# at all (nothing on stdout, no -o file). Usage: cli_errors.sh MERIT_BINARY SOURCE_DIR
set -uo pipefail
merit=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'part_b_charges: $250000\npart_b_beneficiaries: 600\nclinicians: 20\n' > "$tmp/profile.yaml"
printf '{"entityType": "individual", "performanceYear": 2018, "measurementSets": [}' > "$tmp/malformed.json"
printf 'part_b_charges: [\n' > "$tmp/malformed.yaml"
cp "$src/../shared/cms/samples/submissions-docs/py2018_submission-example-ia.json" "$tmp/ia.json" 2>/dev/null ||
  printf '{"entityType": "individual", "performanceYear": 2018, "measurementSets": []}' > "$tmp/ia.json"
failures=0
expect() {  # expect RC CODE-OR-TEXT -- merit args...
  local rc=$1 text=$2
  shift 3
  "$merit" "$@" >"$tmp/out" 2>"$tmp/err"
  local got=$?
  if [[ $got != "$rc" || -s "$tmp/out" || -e "$tmp/result.json" ]] || ! grep -q -- "$text" "$tmp/err"; then
    echo "FAIL: merit $* -> exit $got (want $rc), stdout $(wc -c <"$tmp/out") bytes, stderr:"
    cat "$tmp/err"
    failures=$((failures + 1))
  else
    echo "ok: merit $* -> exit $rc, '$text'"
  fi
  rm -f "$tmp/result.json"
}
expect 1 "error\[I800\]" -- score "$tmp/malformed.json" --profile "$tmp/profile.yaml" --year 2018 -o "$tmp/result.json"
expect 1 "error\[I800\]" -- score "$tmp/ia.json" --profile "$tmp/malformed.yaml" --year 2018 -o "$tmp/result.json"
for f in "$src"/tests/regression/2018/bad-input/*.yaml; do
  code=$(sed -n 's/^expected_error: //p' "$f")
  expect 1 "error\[$code\]" -- score "$f" --format json -o "$tmp/result.json"
done
expect 2 "cannot read" -- score "$tmp/missing.yaml"
expect 2 "no policy at" -- score "$tmp/ia.json" --profile "$tmp/profile.yaml" --year 2031
expect 2 "say which year" -- score "$tmp/ia.json" --profile "$tmp/profile.yaml"
echo "$failures failure(s)"
[[ $failures == 0 ]]
