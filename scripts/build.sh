#!/usr/bin/env bash
#   Install what is missing and build zynamo into build/check (the same
#   build the test suite uses).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
bash scripts/deps.sh
[ -x configure ] || ./autogen.sh >/dev/null 2>&1
mkdir -p build/check
cd build/check
[ -f Makefile ] || "$top/configure" --enable-werror >/dev/null
make -j"$(nproc)" >/dev/null
