#!/usr/bin/env bash
#   Install what is missing, build, and start a local cluster: DynamoDB
#   endpoint http://localhost:8000, native endpoint tcp://127.0.0.1:7100.
#   Ctrl-C stops it. Extra arguments go to `zynamo up`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
exec build/check/zynamo up "$@"
