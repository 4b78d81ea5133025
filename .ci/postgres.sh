#!/usr/bin/env bash
# Throwaway PostgreSQL server for the tuning tests (tests/test_tuning_postgres.py).
#
#   eval "$(.ci/postgres.sh start [WATCH_PID])"   # prints export lines on stdout
#   .ci/postgres.sh stop [DIR]                    # DIR defaults to $TSERBENCH_PG_DIR
#
# `start` initialises a cluster in a fresh temp dir, listens on 127.0.0.1 on a
# free port (never 5432, so a leftover server cannot block a later run), creates
# database `tserbench` and prints
#   export TSERBENCH_PG_URL=postgresql+psycopg2://postgres@127.0.0.1:PORT/tserbench
#   export TSERBENCH_PG_DIR=/tmp/tserbench-pg.XXXXXX
# Everything else goes to stderr. PostgreSQL refuses to run as root, so when
# run as root the server runs as the `postgres` system user (runuser).
# If WATCH_PID is given, a detached watchdog stops the server and removes the
# dir once that process is gone (covers a CI shell killed with SIGKILL, where
# an EXIT trap never runs). `stop` is idempotent.
set -euo pipefail

log() { printf 'postgres.sh: %s\n' "$*" >&2; }

find_bindir() {
    local initdb
    initdb=$(ls -1 /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)
    if [[ -z "$initdb" ]]; then
        log "initdb not found; installing Debian's postgresql package"
        if [[ $(id -u) -ne 0 ]]; then
            log "need root for apt-get (or install postgresql yourself)"
            exit 1
        fi
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
        initdb=$(ls -1 /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)
    fi
    dirname "$initdb"
}

# Run a command as the server's owner: `postgres` when we are root, else ourselves.
as_owner() {
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

free_port() {
    python3 - <<'PY'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

stop_server() {
    local dir=${1:-${TSERBENCH_PG_DIR:-}}
    if [[ -z "$dir" ]]; then
        log "stop: no dir given and TSERBENCH_PG_DIR unset; nothing to stop"
        return 0
    fi
    if [[ -f "$dir/data/postmaster.pid" ]]; then
        local bindir
        bindir=$(cat "$dir/bindir")
        as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
    fi
    if [[ -f "$dir/watchdog.pid" ]]; then
        local wd
        wd=$(cat "$dir/watchdog.pid")
        # Only our own watchdog, by its id; ignore if it already exited.
        [[ "$wd" != "$$" ]] && kill "$wd" 2>/dev/null || true
    fi
    case "$dir" in
        */tserbench-pg.*) rm -rf "$dir" ;;
        *) log "stop: not removing unexpected dir $dir" ;;
    esac
    log "stopped ($dir)"
}

start_server() {
    local watch_pid=${1:-}
    local bindir dir port user
    bindir=$(find_bindir)
    dir=$(mktemp -d "${TMPDIR:-/tmp}/tserbench-pg.XXXXXX")
    echo "$bindir" >"$dir/bindir"
    if [[ $(id -u) -eq 0 ]]; then
        chown postgres: "$dir"
        chmod 755 "$dir"
        user=postgres
    else
        user=$(id -un)
    fi
    as_owner "$bindir/initdb" -D "$dir/data" --username="$user" --auth=trust \
        --encoding=UTF8 --no-sync >"$dir/initdb.log" 2>&1 || {
        cat "$dir/initdb.log" >&2
        exit 1
    }
    local tries
    for tries in 1 2 3; do
        port=$(free_port)
        if as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
            -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=50" \
            start >&2; then
            break
        fi
        port=""
        log "start on port failed (try $tries):"
        tail -n 5 "$dir/server.log" >&2 || true
    done
    [[ -n "$port" ]] || { stop_server "$dir"; exit 1; }
    as_owner "$bindir/createdb" -h 127.0.0.1 -p "$port" -U "$user" tserbench
    if [[ -n "$watch_pid" ]]; then
        # Detached (setsid, no inherited stdout) so `$(...)` in the caller returns.
        setsid bash -c '
            while kill -0 "$1" 2>/dev/null; do sleep 5; done
            exec "$2" stop "$3"
        ' watchdog "$watch_pid" "$(readlink -f "$0")" "$dir" </dev/null >/dev/null 2>&1 &
        echo $! >"$dir/watchdog.pid"
    fi
    log "PostgreSQL $(basename "$(dirname "$bindir")") on 127.0.0.1:$port, data in $dir"
    echo "export TSERBENCH_PG_URL=postgresql+psycopg2://$user@127.0.0.1:$port/tserbench"
    echo "export TSERBENCH_PG_DIR=$dir"
}

case "${1:-}" in
    start) start_server "${2:-}" ;;
    stop) stop_server "${2:-}" ;;
    *)
        echo "usage: $0 start [WATCH_PID] | stop [DIR]" >&2
        exit 2
        ;;
esac
