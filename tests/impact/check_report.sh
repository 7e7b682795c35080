#!/bin/sh
# Opens a merit impact report in headless Chromium and checks it renders: no console errors, and
# the charts (inline SVG) and the threshold table are in the DOM.
# Usage: check_report.sh MERIT WORKDIR [SCREENSHOT.png]. Exit 0 pass, 1 fail, 77 skip (no Chromium).
set -u
merit=$1
work=$2
shot=${3:-}
mkdir -p "$work"
browser=""
for b in chromium chromium-browser google-chrome; do
  if command -v "$b" >/dev/null 2>&1; then browser=$b; break; fi
done
if [ -z "$browser" ]; then
  echo "SKIP: no chromium on PATH (apt-get install chromium, or tools/install-deps.sh)"
  exit 77
fi
pop="$work/impact-pop.jsonl"
html="$work/impact-2017-2018.html"
# A 2017 population: its lines read under both years (a 2018 one uses measures 2017 lacks).
"$merit" generate --year 2017 --count 2000 --seed 1 -o "$pop" 2>/dev/null || { echo "FAIL: merit generate"; exit 1; }
# Exit 1 only says some lines were not scored under one side (they are listed in the report).
"$merit" impact 2017 2018 "$pop" -o "$html"
rc=$?
if [ $rc -gt 1 ] || [ ! -s "$html" ]; then echo "FAIL: merit impact exited $rc"; exit 1; fi

profile="$work/chromium-profile"
rm -rf "$profile"
dom="$work/impact-dom.html"
log="$work/impact-chromium.log"
# --virtual-time-budget lets the page settle; the DOM is printed after load.
timeout 120 "$browser" --headless --disable-gpu --no-sandbox --no-first-run --user-data-dir="$profile" \
  --enable-logging=stderr --v=0 --virtual-time-budget=2000 --dump-dom "file://$(cd "$(dirname "$html")" && pwd)/$(basename "$html")" \
  >"$dom" 2>"$log"
rc=$?
if [ $rc -ne 0 ] || [ ! -s "$dom" ]; then
  if grep -qiE "cannot open display|Missing X server|sandbox|No usable sandbox|error while loading shared libraries" "$log"; then
    echo "SKIP: chromium cannot run here (exit $rc):"; tail -5 "$log"; exit 77
  fi
  echo "FAIL: chromium exited $rc with no DOM"; tail -20 "$log"; exit 1
fi
fail=0
# The page has no script, so any console message (Chromium logs them as ...:CONSOLE:N] or
# CONSOLE(N)) is a failure, an "Uncaught" exception above all.
if grep -E "Uncaught|:CONSOLE|CONSOLE\(" "$log" >/dev/null; then
  echo "FAIL: console messages:"; grep -E "Uncaught|:CONSOLE|CONSOLE\(" "$log"; fail=1
fi
for id in histogram-final-score histogram-adjustment attribution-waterfall threshold-crossings category-means; do
  if ! grep -q "id=\"$id\"" "$dom"; then echo "FAIL: no element id=\"$id\" in the DOM"; fail=1; fi
done
for id in histogram-final-score histogram-adjustment attribution-waterfall; do
  if ! grep -qE "<svg[^>]*id=\"$id\"" "$dom"; then echo "FAIL: id=\"$id\" is not an <svg>"; fail=1; fi
done
rects=$(grep -o "<rect" "$dom" | wc -l)
if [ "$rects" -lt 40 ]; then echo "FAIL: only $rects SVG bars in the DOM"; fail=1; fi
if [ -n "$shot" ]; then
  timeout 120 "$browser" --headless --disable-gpu --no-sandbox --no-first-run --user-data-dir="$profile" \
    --hide-scrollbars --window-size=1200,2000 --screenshot="$shot" "file://$(cd "$(dirname "$html")" && pwd)/$(basename "$html")" \
    >/dev/null 2>>"$log" || { echo "FAIL: screenshot"; fail=1; }
fi
[ $fail -eq 0 ] && echo "PASS: $browser rendered $html ($rects SVG bars, no console errors)"
exit $fail
