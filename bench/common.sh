#   Helpers shared by the benchmark scripts (compare.sh, memory.sh);
#   sourced by both, it only defines functions.

#   A free port, or with an argument N the first of N free ports in a row
free_port () {
    python3 - "${1:-1}" <<'PY'
import random, socket, sys
count = int(sys.argv[1])
while True:
    base = random.randint(20000, 60000 - count)
    sockets = []
    try:
        for port in range(base, base + count):
            s = socket.socket()
            s.bind(("127.0.0.1", port))
            sockets.append(s)
    except OSError:
        continue
    finally:
        for s in sockets:
            s.close()
    print(base)
    break
PY
}

#   The children of a process, from /proc (no procps needed)
children_of () {
    local stat
    for stat in /proc/[0-9]*/stat; do
        local fields
        fields=$(sed 's/^.*) //' "$stat" 2>/dev/null) || continue
        local -a field
        read -r -a field <<<"$fields"
        if [ "${field[1]}" = "$1" ]; then
            stat=${stat#/proc/}
            echo "${stat%/stat}"
        fi
    done
}

#   Wait until all $1 workers joined the broker (it logs each), at most
#   $2 seconds: a table created earlier would have all its partitions on
#   the workers that were there
wait_workers () {
    local log=$3 deadline=$((SECONDS + $2))
    while [ $SECONDS -lt $deadline ]; do
        if [ "$(grep -c 'worker joined' "$log" 2>/dev/null || true)" -ge "$1" ]; then
            return 0
        fi
        sleep 0.2
    done
    echo "warning: not all $1 workers joined within $2 s" >&2
}

#   Stop the given processes: SIGTERM, up to 5 s to end, then SIGKILL.
#   Empty arguments are skipped.
stop_pids () {
    local pid
    for pid in "$@"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "$@"; do
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
    done
}
