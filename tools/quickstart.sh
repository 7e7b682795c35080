#!/usr/bin/env bash
# Quick start: install what is missing, build merit, and run it on the bundled example policy.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DMERIT_BUILD_TESTS=OFF >/dev/null
cmake --build build --target merit
set -x
build/tools/merit check policies/examples/tutorial
build/tools/merit eval policies/examples/tutorial policies/examples/tutorial/inputs/clinic.yaml --trace
