#!/usr/bin/env bash
#   bench/compare.sh - zynamo side by side with raw LevelDB and dynalite,
#   on this machine, in one run
#
#   Systems: raw LevelDB in-process (zynamo-bench --driver leveldb, the
#   hardware reference), zynamo native (libzynamo, pipelined), zynamo HTTP
#   (the gateway, DynamoDB's JSON API) and dynalite (npm's DynamoDB
#   emulator on node, in memory, not durable). Workloads: YCSB A, B, C, E
#   and a durable-write load (PutItem of new keys; for LevelDB, synced
#   puts at 1 client and synced 64-put WriteBatches at 64), each at 1 and
#   64 concurrent clients, ROUNDS rounds, interleaved. Prints the median
#   of the rounds as a table, with ratios, and the server CPU time per
#   request from /proc (utime + stime of broker, workers and gateway, or
#   of dynalite's node).
#
#   Run after scripts/build.sh. Settings (environment):
#     RECORDS   records loaded per system (default 100000)
#     OPS       cap on operations per measured run (default 2000000)
#     DURATION  seconds per measured run (default 4)
#     ROUNDS    rounds (default 3)
#     QUICK=1   smoke run: 2000 records, 1 s runs, one round
#     SYSTEMS   subset of "leveldb native http dynalite"
#     WORKLOADS subset of "a b c e durable-put" (any YCSB workload a-f)
#     CLIENTS   concurrency levels (default "1 64")
#     WORKERS   zynamo workers (default 2)
#     ZYN_BUILDDIR  the build directory (default build/check)
#     KEEP=1    keep the temporary directory (results, logs)
#   Output: the table on stdout; every run's JSON in $tmp/results.jsonl.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${ZYN_BUILDDIR:-$top/build/check}
bench=$build/bench/zynamo-bench
if [ "${QUICK:-0}" = 1 ]; then
    RECORDS=${RECORDS:-2000}
    DURATION=${DURATION:-1}
    ROUNDS=${ROUNDS:-1}
fi
RECORDS=${RECORDS:-100000}
OPS=${OPS:-2000000}
DURATION=${DURATION:-4}
ROUNDS=${ROUNDS:-3}
SYSTEMS=${SYSTEMS:-leveldb native http dynalite}
WORKLOADS=${WORKLOADS:-a b c e durable-put}
CLIENTS=${CLIENTS:-1 64}
WORKERS=${WORKERS:-2}
ticks=$(getconf CLK_TCK)

if [ ! -x "$bench" ]; then
    echo "compare: $bench is missing; run scripts/build.sh first" >&2
    exit 1
fi
tmp=$(mktemp -d /tmp/zynamo-compare.XXXXXX)
results=$tmp/results.jsonl
: >"$results"
zynamo_pid=
dynalite_pid=

log () { echo "compare: $*" >&2; }

cleanup () {
    local rc=$?
    trap - EXIT INT TERM
    #   Stop only what this script started, by pid
    stop_pids $dynalite_pid $zynamo_pid
    if [ "${KEEP:-0}" = 1 ]; then
        log "kept $tmp"
    else
        rm -rf "$tmp"
    fi
    exit "$rc"
}
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
trap cleanup EXIT
trap 'exit 130' INT TERM


#   Wait until something listens on 127.0.0.1:$1, for at most $2 seconds
wait_port () {
    local deadline=$((SECONDS + $2))
    while [ $SECONDS -lt $deadline ]; do
        if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $1), 0.2)" 2>/dev/null; then
            return 0
        fi
        sleep 0.2
    done
    return 1
}

#   A process and all its descendants
descendants () {
    local pid=$1
    echo "$pid"
    for child in $(children_of "$pid"); do
        descendants "$child"
    done
}

#   utime + stime, in clock ticks, of the given processes
cpu_ticks () {
    local total=0
    for pid in "$@"; do
        [ -r "/proc/$pid/stat" ] || continue
        #   Fields after the command name: state is 3, utime 14, stime 15
        local fields
        fields=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null) || continue
        local -a field
        read -r -a field <<<"$fields"
        total=$((total + field[11] + field[12]))
    done
    echo "$total"
}

#   ------------------------------------------------------------------
#   Start the servers

native_endpoint=
http_endpoint=
dynalite_endpoint=
wants () { case " $SYSTEMS " in *" $1 "*) return 0 ;; esac; return 1; }

if wants native || wants http; then
    if [ -x "$build/zynamo" ]; then
        #   The launcher takes PORT .. PORT+3 (front door, back door, hub)
        port=$(free_port 4)
        http_port=$(free_port)
        mkdir -p "$tmp/zynamo"
        log "starting zynamo ($WORKERS workers) on :$port and http :$http_port"
        "$build/zynamo" up --data "$tmp/zynamo" --workers "$WORKERS" \
            --port "$port" --http-port "$http_port" \
            >"$tmp/zynamo.log" 2>&1 &
        zynamo_pid=$!
        if wait_port "$port" 30 && wait_port "$http_port" 30; then
            wait_workers "$WORKERS" 30 "$tmp/zynamo/logs/broker.log"
            native_endpoint=tcp://127.0.0.1:$port
            http_endpoint=http://127.0.0.1:$http_port
        else
            log "zynamo did not start; its log:"
            tail -20 "$tmp/zynamo.log" >&2 || true
        fi
    else
        log "$build/zynamo is missing: no zynamo runs"
    fi
fi

if wants dynalite; then
    if ! command -v npm >/dev/null 2>&1; then
        log "installing node and npm (Debian packages)"
        (export DEBIAN_FRONTEND=noninteractive; apt-get update -qq \
            && apt-get install -y -qq nodejs npm >/dev/null) || true
    fi
    if command -v npm >/dev/null 2>&1 \
        && npm install --prefix "$tmp/dynalite" --no-audit --no-fund \
               --loglevel=error dynalite >"$tmp/npm.log" 2>&1; then
        dport=$(free_port)
        log "starting dynalite on :$dport"
        node "$tmp/dynalite/node_modules/dynalite/cli.js" --port "$dport" \
            >"$tmp/dynalite.log" 2>&1 &
        dynalite_pid=$!
        if wait_port "$dport" 30; then
            dynalite_endpoint=http://127.0.0.1:$dport
        else
            log "dynalite did not start"
        fi
    else
        log "cannot install dynalite with npm: no dynalite runs"
        tail -5 "$tmp/npm.log" >&2 2>/dev/null || true
    fi
fi

server_pids () {
    case $1 in
        native|http) [ -n "$zynamo_pid" ] && descendants "$zynamo_pid" ;;
        dynalite) [ -n "$dynalite_pid" ] && echo "$dynalite_pid" ;;
        *) true ;;
    esac
}

#   The driver flags of a system
driver_args () {
    case $1 in
        leveldb) echo "--driver leveldb --data $tmp/leveldb" ;;
        native) echo "--driver native --endpoint $native_endpoint" ;;
        http) echo "--driver http --endpoint $http_endpoint" ;;
        dynalite) echo "--driver http --endpoint $dynalite_endpoint" ;;
    esac
}

#   The concurrency flags of a system at $2 clients: threads for
#   leveldb; for many clients, two threads with half of them each:
#   requests in flight on one pipelined connection for native, keep-alive
#   connections with one request at a time each for http and dynalite
client_args () {
    local system=$1 clients=$2
    if [ "$system" != leveldb ] && [ "$clients" -ge 2 ]; then
        echo "--threads 2 --inflight $((clients / 2))"
    else
        echo "--threads $clients"
    fi
}

available () {
    case $1 in
        leveldb) return 0 ;;
        native) [ -n "$native_endpoint" ] ;;
        http) [ -n "$http_endpoint" ] ;;
        dynalite) [ -n "$dynalite_endpoint" ] ;;
    esac
}

#   ------------------------------------------------------------------
#   Load every system

loaded=
for system in $SYSTEMS; do
    available "$system" || continue
    if [ "$system" = http ] && case " $loaded " in *" native "*) true ;; *) false ;; esac; then
        #   Same cluster, same table: loaded through the native driver
        loaded="$loaded http"
        continue
    fi
    log "loading $RECORDS records into $system"
    # shellcheck disable=SC2046
    if "$bench" $(driver_args "$system") $(client_args "$system" 64) \
            --workload a --records "$RECORDS" --phase load --quiet \
            --json "$tmp/load-$system.json" >"$tmp/load-$system.txt" 2>&1; then
        loaded="$loaded $system"
    else
        log "loading $system failed:"
        tail -5 "$tmp/load-$system.txt" >&2
    fi
done

#   ------------------------------------------------------------------
#   Measure: rounds outermost, so drift spreads over every system

run=0
for round in $(seq "$ROUNDS"); do
    for workload in $WORKLOADS; do
        for clients in $CLIENTS; do
            for system in $SYSTEMS; do
                case " $loaded " in *" $system "*) ;; *) continue ;; esac
                run=$((run + 1))
                extra=""
                if [ "$workload" = durable-put ] && [ "$system" = leveldb ]; then
                    #   The physical limit of durable writes: synced puts
                    #   for one client, synced 64-put batches for many
                    if [ "$clients" = 1 ]; then
                        extra="--sync --batch 1 --threads 1"
                    else
                        extra="--batch 64 --threads 1"
                    fi
                fi
                pids=$(server_pids "$system" | tr '\n' ' ')
                # shellcheck disable=SC2086
                before=$(cpu_ticks $pids)
                # shellcheck disable=SC2046,SC2086
                if ! "$bench" $(driver_args "$system") \
                        $(client_args "$system" "$clients") $extra \
                        --workload "$workload" --records "$RECORDS" \
                        --operations "$OPS" --duration "$DURATION" \
                        --insert-start $((RECORDS + run * 10000000)) \
                        --phase run --quiet --json "$tmp/run.json" \
                        >"$tmp/run.txt" 2>&1; then
                    log "$system $workload x$clients failed:"
                    tail -3 "$tmp/run.txt" >&2
                    continue
                fi
                # shellcheck disable=SC2086
                after=$(cpu_ticks $pids)
                printf '{"system":"%s","workload":"%s","clients":%s,"round":%s,"cpu_ticks":%s,"ticks_per_second":%s,"result":%s}\n' \
                    "$system" "$workload" "$clients" "$round" \
                    "$((after - before))" "$ticks" "$(cat "$tmp/run.json")" \
                    >>"$results"
                log "round $round: $system $workload x$clients: $(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["phases"]["run"]; print("%.0f ops/s, p99 %.0f us, %d errors" % (r["throughput"], r["p99_us"], r["errors"]))' "$tmp/run.json")"
            done
        done
    done
done

#   ------------------------------------------------------------------
#   The table

python3 - "$results" "$RECORDS" "$DURATION" "$ROUNDS" <<'EOF'
import json, statistics, sys
from collections import defaultdict

path, records, duration, rounds = sys.argv[1:5]
runs = defaultdict(list)
for line in open(path):
    entry = json.loads(line)
    run = entry["result"]["phases"]["run"]
    cpu = None
    if entry["cpu_ticks"] and run["operations"]:
        cpu = entry["cpu_ticks"] / entry["ticks_per_second"] * 1e6 / run["operations"]
    runs[(entry["workload"], entry["clients"], entry["system"])].append(
        (run["throughput"], run["p99_us"], cpu, run["errors"]))

def median(key, index):
    values = [r[index] for r in runs.get(key, []) if r[index] is not None]
    return statistics.median(values) if values else None

def fmt(value, digits=0):
    return "-" if value is None else f"{value:,.{digits}f}"

def ratio(a, b):
    return "-" if a is None or b in (None, 0) else f"{a / b:.2f}x"

systems = ["leveldb", "native", "http", "dynalite"]
workloads = sorted({k[0] for k in runs}, key=lambda w: (w == "durable-put", w))
clients = sorted({k[1] for k in runs})
print(f"\nzynamo-bench comparison: {records} records, {duration} s per run, "
      f"median of {rounds} round(s)\n")
header = ("| workload | clients | LevelDB ops/s | native ops/s | HTTP ops/s "
          "| dynalite ops/s | native/LevelDB | HTTP/dynalite "
          "| p99 µs native | p99 µs HTTP | p99 µs dynalite | p99 HTTP/dynalite "
          "| CPU µs/req native | CPU µs/req HTTP | CPU µs/req dynalite |")
print(header)
print("|" + "---|" * (header.count("|") - 1))
for workload in workloads:
    for count in clients:
        t = {s: median((workload, count, s), 0) for s in systems}
        p = {s: median((workload, count, s), 1) for s in systems}
        c = {s: median((workload, count, s), 2) for s in systems}
        name = "durable put" if workload == "durable-put" else workload.upper()
        print(f"| {name} | {count} | {fmt(t['leveldb'])} | {fmt(t['native'])} "
              f"| {fmt(t['http'])} | {fmt(t['dynalite'])} "
              f"| {ratio(t['native'], t['leveldb'])} | {ratio(t['http'], t['dynalite'])} "
              f"| {fmt(p['native'])} | {fmt(p['http'])} | {fmt(p['dynalite'])} "
              f"| {ratio(p['http'], p['dynalite'])} "
              f"| {fmt(c['native'], 1)} | {fmt(c['http'], 1)} | {fmt(c['dynalite'], 1)} |")
errors = {k: sum(r[3] for r in v) for k, v in runs.items() if sum(r[3] for r in v)}
if errors:
    print("\nruns with errors (workload, clients, system: errors):")
    for key, count in sorted(errors.items()):
        print(f"  {key[0]} x{key[1]} {key[2]}: {count}")
EOF
