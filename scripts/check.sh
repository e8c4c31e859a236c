#!/usr/bin/env bash
#   Install what is missing, build, and run the whole test suite: the Check
#   suites (unit and end-to-end), the same under AddressSanitizer and
#   UndefinedBehaviorSanitizer, the fuzz targets for a bounded time, and
#   the boto3 / AWS CLI compatibility tests.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
bash scripts/deps.sh
[ -x configure ] || ./autogen.sh >/dev/null 2>&1
jobs=$(nproc)

run_suite () {             #   run_suite NAME BUILD-DIR CONFIGURE-FLAGS...
    local name=$1 dir=$2
    shift 2
    echo "=== $name"
    mkdir -p "$dir"
    (cd "$dir" && { [ -f Makefile ] || "$top/configure" "$@" >/dev/null; } \
        && make -j"$jobs" >/dev/null \
        && make -j"$jobs" check) || {
        for log in "$dir"/tests/*.log; do
            grep -q -E '^:test-result: (FAIL|ERROR)' "${log%.log}.trs" 2>/dev/null \
                && { echo "--- $log"; tail -50 "$log"; }
        done
        return 1
    }
}

run_suite "check" build/check --enable-werror
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_suite "check under ASan+UBSan" build/asan --enable-werror --enable-asan

if [ -x tests/fuzz/run.sh ]; then
    echo "=== fuzz"
    bash tests/fuzz/run.sh "$top/build/fuzz"
fi
if [ -d tests/compat ] && ls tests/compat/test_*.py >/dev/null 2>&1; then
    echo "=== compat (boto3, AWS CLI)"
    ZYN_BUILDDIR="$top/build/check" /usr/bin/python3 -m pytest -q tests/compat
fi
echo "=== all tests passed"
