#!/usr/bin/env bash
# Installs the Debian 12 packages merit needs to build and test, only those that are missing.
# --with-fuzz (tools/test.sh) adds what only the tests need: clang's libFuzzer, and Chromium for
# the impact report's browser test; the quick start builds and runs without them.
set -euo pipefail
packages=(cmake ninja-build g++ make pkg-config tao-pegtl-dev libyaml-cpp-dev libfmt-dev catch2 libcli11-dev
          nlohmann-json3-dev libsimdjson-dev libcsv-dev)
if [[ "${1:-}" == "--with-fuzz" ]]; then packages+=(clang libclang-rt-14-dev chromium); fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "merit: installing ${missing[*]}" >&2
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
