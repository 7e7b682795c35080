#!/usr/bin/env bash
# Quick start: install what is missing, build merit, and score the bundled 2018 example (a
# group's QPP submission and profile) under the 2018 rules, with the QPP-shaped score tree and
# the explanation of the final score.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DMERIT_BUILD_TESTS=OFF >/dev/null
cmake --build build --target merit
set -x
build/tools/merit check policies/2018
build/tools/merit score policies/2018/examples/clinic.yaml
build/tools/merit score policies/2018/examples/clinic.yaml --format json -o build/clinic-score.json
build/tools/merit explain policies/2018/examples/clinic.yaml quality.percent
