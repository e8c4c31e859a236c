#!/usr/bin/env bash
#   run.sh BUILD-DIR - build every tests/fuzz/fuzz_*.c as a libFuzzer
#   target with AddressSanitizer and UndefinedBehaviorSanitizer, and run
#   each for FUZZ_SECONDS (default 30) on a copy of its seed corpus
#   tests/fuzz/corpus/<name>/ (so the corpus in git does not grow).
#
#   Each target names the core sources it needs on one comment line:
#       // fuzz-sources: core/zyn_value.c core/zyn_value_codec.c core/zyn_decimal.c core/zyn_error.c
#   Exits non-zero if a target fails to build or the fuzzer finds a crash,
#   a leak or undefined behaviour; the crashing input is kept in BUILD-DIR.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:?usage: run.sh BUILD-DIR}
seconds=${FUZZ_SECONDS:-30}
mkdir -p "$build"
build=$(cd "$build" && pwd)
cc=${FUZZ_CC:-clang}

flags=$(pkg-config --cflags libczmq libzmq msgpack libsodium jansson)
libs="$(pkg-config --libs libczmq libzmq msgpack libsodium jansson) -lleveldb -lm"
sanitize="-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined"

failed=0
passed=0
for source in "$top"/tests/fuzz/fuzz_*.c; do
    [ -e "$source" ] || continue
    name=$(basename "$source" .c)
    corpus_name=${name#fuzz_}
    sources=$(sed -n 's|^// fuzz-sources:||p' "$source" | head -1)
    paths=()
    for file in $sources; do
        paths+=("$top/$file")
    done
    echo "fuzz: building $name"
    # shellcheck disable=SC2086
    if ! "$cc" -g -O1 -std=c11 -D_GNU_SOURCE $sanitize \
            -I"$top/include" -I"$top/core" $flags \
            "$source" "${paths[@]}" $libs -o "$build/$name" \
            > "$build/$name.build.log" 2>&1; then
        cat "$build/$name.build.log"
        echo "fuzz: $name FAILED to build"
        failed=$((failed + 1))
        continue
    fi
    work=$(mktemp -d "$build/$name.corpus.XXXXXX")
    if [ -d "$top/tests/fuzz/corpus/$corpus_name" ]; then
        cp -r "$top/tests/fuzz/corpus/$corpus_name/." "$work/"
    fi
    echo "fuzz: running $name for ${seconds}s"
    if (cd "$build" && ASAN_OPTIONS=detect_leaks=1 \
            UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
            "./$name" -max_total_time="$seconds" -timeout=10 \
            -rss_limit_mb=2048 -max_len=65536 -artifact_prefix="$build/$name-" \
            "$work" > "$build/$name.log" 2>&1); then
        echo "fuzz: $name ok ($(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$build/$name.log") runs)"
        passed=$((passed + 1))
    else
        tail -60 "$build/$name.log"
        echo "fuzz: $name FAILED; inputs kept as $build/$name-*"
        failed=$((failed + 1))
    fi
    rm -rf "$work"
done
echo "fuzz: $passed targets passed, $failed failed"
[ "$failed" -eq 0 ]
