#!/usr/bin/env bash
# A local BigQuery for tests: the PyPI package `bqemulator` (REST API served from DuckDB), no Google account.
#
#   bash scripts/bigquery_emulator.sh install                 # venv + DuckDB spatial extension; skipped when complete
#   bash scripts/bigquery_emulator.sh check                   # exit 0 when the install is complete, 1 when not
#   bash scripts/bigquery_emulator.sh start PORT GRPC_PORT    # installs if needed, starts, waits for /healthz
#   bash scripts/bigquery_emulator.sh stop                    # stops the emulator that `start` started
#   bash scripts/bigquery_emulator.sh status                  # exit 0 when it answers /healthz
#
# The emulator lives in its own venv because it pins an older DuckDB than the project's. DuckDB would download
# its spatial extension from the internet at start; only the package registries are reachable here, so the
# extension comes from PyPI (`duckdb-extension-spatial`) and is installed into the emulator's own HOME.
#
# Locations (env): BQEMULATOR_DIR (default <repo>/.bqemulator) holds the install: venv/ and home/ (the HOME the
# emulator runs with, where the spatial extension is). BQEMULATOR_STATE_DIR (default $BQEMULATOR_DIR/run) holds
# one running emulator's emulator.pid, emulator.log and tmp/: give each concurrent emulator its own (the tests do).
# BQEMULATOR_PROJECT is the default project id (test-project); BQEMULATOR_START_TIMEOUT the seconds to wait (60);
# BQEMULATOR_PYTHON the Python that creates the venv (python3).
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
base="${BQEMULATOR_DIR:-$repo/.bqemulator}"
venv="$base/venv"
home="$base/home"
state="${BQEMULATOR_STATE_DIR:-$base/run}"
tmp="$state/tmp"
pidfile="$state/emulator.pid"
logfile="$state/emulator.log"
project="${BQEMULATOR_PROJECT:-test-project}"
python="${BQEMULATOR_PYTHON:-python3}"
# The versions DESIGN.md records as working together: bqemulator's DuckDB pin and the matching spatial build.
duckdb_version="1.5.5"
# Written last by `install`: its presence means the venv and the extension are complete.
stamp="$venv/.spotify-bqemulator-complete"

log() { echo "bigquery_emulator: $*" >&2; }

install_spatial() {
    # DuckDB installs an extension from a local file path without the network; it lands in $HOME/.duckdb.
    HOME="$home" "$venv/bin/python" - <<'EOF'
import pathlib

import duckdb
import duckdb_extension_spatial as m

found = sorted(pathlib.Path(m.__file__).parent.glob("extensions/*/spatial.duckdb_extension"))
if not found:
    raise SystemExit("duckdb-extension-spatial ships no spatial.duckdb_extension")
con = duckdb.connect()
con.execute(f"INSTALL '{found[0]}'")
con.execute("LOAD spatial")
EOF
}

spatial_installed() {
    compgen -G "$home/.duckdb/extensions/v$duckdb_version/*/spatial.duckdb_extension" >/dev/null
}

check() {
    [ -f "$stamp" ] && [ -x "$venv/bin/bqemulator" ] && spatial_installed
}

install() {
    if check; then
        log "already installed in $base"
        return 0
    fi
    local started=$SECONDS
    mkdir -p "$home"
    if [ -f "$stamp" ] && [ -x "$venv/bin/bqemulator" ]; then
        log "installing the spatial extension into $home"
        install_spatial
        return 0
    fi
    log "installing into $venv"
    # A venv without the stamp is a broken or interrupted install: start over.
    rm -rf "$venv"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        bqemulator "duckdb==$duckdb_version" "duckdb-extension-spatial==$duckdb_version" numpy
    install_spatial
    touch "$stamp"
    check || { log "the install did not complete (no spatial extension in $home)"; return 1; }
    log "installed in $((SECONDS - started)) s"
}

healthy() {
    local port="$1"
    "$venv/bin/python" - "$port" <<'EOF'
import sys
import urllib.request

try:
    with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/healthz", timeout=2) as response:
        sys.exit(0 if response.status == 200 else 1)
except Exception:
    sys.exit(1)
EOF
}

running_pid() {
    # The pid in the pid file, when that process is still alive.
    [ -f "$pidfile" ] || return 1
    local pid
    pid="$(cut -d' ' -f1 "$pidfile")"
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

start() {
    local port="${1:?usage: start PORT GRPC_PORT}" grpc_port="${2:?usage: start PORT GRPC_PORT}" pid
    install
    if pid="$(running_pid)"; then
        log "already running (pid $pid, $(cat "$pidfile")); stop it first"
        return 1
    fi
    if healthy "$port"; then
        # Another server already answers there: its 200 would be taken for ours.
        log "port $port already answers /healthz; choose another port"
        return 1
    fi
    mkdir -p "$tmp/up"
    local started=$SECONDS
    # setsid: its own process group, so `stop` ends the emulator and any child it has, and nothing else.
    HOME="$home" TMPDIR="$tmp" BQEMU_UPLOAD_STAGING_DIR="$tmp/up" setsid "$venv/bin/bqemulator" start \
        --rest-host 127.0.0.1 --grpc-host 127.0.0.1 --rest-port "$port" --grpc-port "$grpc_port" --project "$project" \
        >"$logfile" 2>&1 </dev/null &
    pid=$!
    echo "$pid $port $grpc_port" >"$pidfile"
    local deadline=$((SECONDS + ${BQEMULATOR_START_TIMEOUT:-60}))
    until healthy "$port"; do
        if ! kill -0 "$pid" 2>/dev/null; then
            log "the emulator exited before it was ready; its log ($logfile):"
            tail -n 40 "$logfile" >&2
            rm -f "$pidfile"
            return 1
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            log "no 200 from http://127.0.0.1:$port/healthz within ${BQEMULATOR_START_TIMEOUT:-60} s; log:"
            tail -n 40 "$logfile" >&2
            stop
            return 1
        fi
        sleep 0.5
    done
    log "ready in $((SECONDS - started)) s: http://127.0.0.1:$port (pid $pid)"
    echo "BIGQUERY_EMULATOR_URL=http://127.0.0.1:$port"
}

stop() {
    local pid
    if ! pid="$(running_pid)"; then
        rm -f "$pidfile"
        log "not running"
        return 0
    fi
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "pid $pid ignored SIGTERM; sending SIGKILL"
        kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
    log "stopped (pid $pid)"
}

status() {
    local pid port
    pid="$(running_pid)" || { log "not running"; return 1; }
    port="$(cut -d' ' -f2 "$pidfile")"
    healthy "$port" && log "running (pid $pid) at http://127.0.0.1:$port" || { log "pid $pid does not answer"; return 1; }
}

case "${1:-}" in
    install) install ;;
    check) check ;;
    start) shift; start "$@" ;;
    stop) stop ;;
    status) status ;;
    *) echo "usage: $0 install | check | start PORT GRPC_PORT | stop | status" >&2; exit 2 ;;
esac
