#!/usr/bin/env bash
#   bench/memory.sh - does a worker's resident memory stay flat under load?
#
#   Starts a zynamo cluster on free ports, loads RECORDS records, runs YCSB
#   workload A through the native driver for MINUTES minutes, and samples
#   the resident set size (VmRSS) of the broker, each worker and the
#   gateway every INTERVAL seconds. Prints the samples and, per process,
#   the RSS after WARMUP minutes and the lowest and highest after it, with
#   the spread relative to the warmed-up value (issue 6: within 10%).
#
#   Settings (environment): MINUTES (30), WARMUP (2), INTERVAL (10),
#   RECORDS (100000), WORKERS (2), THREADS (2), INFLIGHT (16),
#   ZYN_BUILDDIR (build/check), KEEP=1 keeps the temporary directory.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${ZYN_BUILDDIR:-$top/build/check}
MINUTES=${MINUTES:-30}
WARMUP=${WARMUP:-2}
INTERVAL=${INTERVAL:-10}
RECORDS=${RECORDS:-100000}
WORKERS=${WORKERS:-2}
THREADS=${THREADS:-2}
INFLIGHT=${INFLIGHT:-16}
for binary in zynamo bench/zynamo-bench; do
    if [ ! -x "$build/$binary" ]; then
        echo "memory: $build/$binary is missing; run scripts/build.sh" >&2
        exit 1
    fi
done
tmp=$(mktemp -d /tmp/zynamo-memory.XXXXXX)
zynamo_pid=
bench_pid=

cleanup () {
    local rc=$?
    trap - EXIT INT TERM
    stop_pids $bench_pid $zynamo_pid
    if [ "${KEEP:-0}" = 1 ]; then
        echo "memory: kept $tmp" >&2
    else
        rm -rf "$tmp"
    fi
    exit "$rc"
}
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
trap cleanup EXIT
trap 'exit 130' INT TERM


port=$(free_port 5)
"$build/zynamo" up --data "$tmp/data" --workers "$WORKERS" --port "$port" \
    --http-port $((port + 4)) >"$tmp/zynamo.log" 2>&1 &
zynamo_pid=$!
endpoint=tcp://127.0.0.1:$port
for _ in $(seq 150); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null && break
    sleep 0.2
done

wait_workers "$WORKERS" 30 "$tmp/data/logs/broker.log"
echo "memory: loading $RECORDS records" >&2
"$build/bench/zynamo-bench" --driver native --endpoint "$endpoint" \
    --records "$RECORDS" --phase load --threads 2 --inflight 32 --quiet \
    >"$tmp/load.txt" 2>&1

echo "memory: workload A for $MINUTES min, sampling every $INTERVAL s" >&2
"$build/bench/zynamo-bench" --driver native --endpoint "$endpoint" \
    --workload a --records "$RECORDS" --operations 1000000000000 \
    --duration $((MINUTES * 60)) --phase run --threads "$THREADS" \
    --inflight "$INFLIGHT" --quiet --json "$tmp/run.json" \
    >"$tmp/run.txt" 2>&1 &
bench_pid=$!

samples=$tmp/samples.txt
: >"$samples"
start=$SECONDS
while kill -0 "$bench_pid" 2>/dev/null; do
    elapsed=$((SECONDS - start))
    for pid in $(children_of "$zynamo_pid"); do
        name=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null \
            | awk '{ n = $1; sub(".*/", "", n); for (i = 2; i <= NF; i++) if ($i == "--id") n = $(i + 1); print n }')
        #   VmRSS, and its anonymous (heap) and file-backed (LevelDB's
        #   table files mapped in, page cache) parts
        rss=$(awk '/^VmRSS:/ { r = $2 } /^RssAnon:/ { a = $2 }
                   /^RssFile:/ { f = $2 } END { print r + 0, a + 0, f + 0 }' \
                  "/proc/$pid/status" 2>/dev/null || echo "0 0 0")
        echo "$elapsed $name $rss" >>"$samples"
    done
    sleep "$INTERVAL"
done
wait "$bench_pid" || true
bench_pid=
head -3 "$tmp/run.txt"

python3 - "$samples" "$WARMUP" <<'EOF'
import sys
from collections import defaultdict
path, warmup = sys.argv[1], float(sys.argv[2]) * 60
series = defaultdict(list)
parts = defaultdict(list)
for line in open(path):
    fields = line.split()
    seconds, name, rss = fields[0], fields[1], fields[2]
    series[name].append((int(seconds), int(rss)))
    if len(fields) >= 5:
        parts[name].append((int(seconds), int(fields[3]), int(fields[4])))
print("\nresident memory (MB) per process, sampled under workload A\n")
print("| process | at start | after warm-up | lowest after | highest after | at end | spread |")
print("|---|---|---|---|---|---|---|")
for name, points in sorted(series.items()):
    after = [rss for t, rss in points if t >= warmup]
    if not after:
        continue
    base = after[0]
    low, high = min(after), max(after)
    spread = max(abs(high - base), abs(base - low)) / base * 100
    print(f"| {name} | {points[0][1] / 1024:.1f} | {base / 1024:.1f} | {low / 1024:.1f} "
          f"| {high / 1024:.1f} | {points[-1][1] / 1024:.1f} | ±{spread:.1f}% |")
print("\n5-minute means after warm-up (MB): VmRSS = RssAnon (heap)"
      " + RssFile (table files mapped in)\n")
for name, points in sorted(parts.items()):
    windows = defaultdict(list)
    for t, anon, file in points:
        if t >= warmup:
            windows[int((t - warmup) // 300)].append((anon, file))
    cells = []
    for index in sorted(windows):
        values = windows[index]
        anon = sum(v[0] for v in values) / len(values) / 1024
        file = sum(v[1] for v in values) / len(values) / 1024
        cells.append(f"{anon + file:.0f} = {anon:.0f} + {file:.0f}")
    if cells:
        print(f"- {name}: " + "; ".join(cells))
EOF
