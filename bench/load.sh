#!/usr/bin/env bash
# HTTP load and soak of `locator serve --prod` (gunicorn, 2 workers, 127.0.0.1 only) at
# 100,000 synthetic facilities on SQLite, with wrk bounded in time and connections.
#
#   bench/load.sh            search API and a results page, alone and during an import
#   bench/load.sh --soak     then 10 minutes of API load, sampling worker RSS every 30 s
#
# Needs wrk: `apt-get install -y wrk` (Debian/Ubuntu). Environment: ROWS (100000),
# DURATION (20s), CONNECTIONS (16), THREADS (2), SOAK_MINUTES (10), PORT (free port).
# Targets (issue 8): API alone >= 500 req/s, p99 < 100 ms, zero errors; no error during the
# import. Synthetic rows live only in the temporary database and are never served elsewhere.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(dirname "$HERE")"
PY="$ROOT/.venv/bin/python"
LOCATOR="$ROOT/.venv/bin/locator"
ROWS="${ROWS:-100000}"
DURATION="${DURATION:-20s}"
CONNECTIONS="${CONNECTIONS:-16}"
THREADS="${THREADS:-2}"
SOAK_MINUTES="${SOAK_MINUTES:-10}"
SOAK=0
[ "${1:-}" = "--soak" ] && SOAK=1

if ! command -v wrk >/dev/null 2>&1; then
  echo "wrk is missing: install it with 'apt-get install -y wrk'" >&2
  exit 2
fi

WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

PORT="${PORT:-$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}"
BASE="http://127.0.0.1:$PORT"
export LOCATOR_DATABASE_URL="sqlite:///$WORK/load.db"
export LOCATOR_CONFIG="$WORK/config.toml"
: > "$LOCATOR_CONFIG"
# The bench measures the server's throughput from one address; the per-client rate limits
# (tested in tests/test_security.py) would answer most of it with 429.
export LOCATOR_RATELIMIT_ENABLED=false

echo "# building $ROWS synthetic facilities and the import file in $WORK"
"$PY" "$HERE/load.py" prepare "$WORK/load.db" "$WORK/origins.txt" --rows "$ROWS"
"$PY" "$HERE/load.py" export "$WORK/export.csv" --rows "$ROWS"

"$LOCATOR" serve --prod --bind "127.0.0.1:$PORT" --workers 2 > "$WORK/gunicorn.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 120); do
  curl -fs -o /dev/null "$BASE/healthz" && break
  sleep 0.5
done
curl -fs -o /dev/null "$BASE/healthz" || { cat "$WORK/gunicorn.log"; exit 1; }
echo "# gunicorn master $SERVER_PID on $BASE, 2 workers; wrk -t$THREADS -c$CONNECTIONS -d$DURATION"
echo "# $(nproc) CPUs; load average before the runs: $(cut -d' ' -f1-3 /proc/loadavg)"

API="/api/v1/facilities?radius=25"
PAGE="/search?radius=25"
run() {  # label path-prefix [duration]
  local out
  out="$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${3:-$DURATION}" --timeout 5s --latency \
    -s "$HERE/load.lua" "$BASE" -- "$WORK/origins.txt" "$2" | grep '^RESULT')"
  # The machine's load average says how much else competed for the CPUs during the run.
  printf '%-26s %s loadavg=%s\n' "$1" "${out#RESULT }" "$(cut -d' ' -f1 /proc/loadavg)"
}

# Warm-up: each worker loads the gazetteer and the hot pages of the database.
wrk -t1 -c4 -d3s -s "$HERE/load.lua" "$BASE" -- "$WORK/origins.txt" "$API" > /dev/null

run "api alone" "$API"
run "results page alone" "$PAGE"

import_run() {
  "$LOCATOR" import samhsa --file "$WORK/export.csv" > "$WORK/import.log" 2>&1 &
  IMPORT_PID=$!
  sleep 1
}
import_run
run "api during import" "$API"
if kill -0 "$IMPORT_PID" 2>/dev/null; then still="still running"; else still="had finished"; fi
wait "$IMPORT_PID" || { echo "import failed:"; tail -5 "$WORK/import.log"; exit 1; }
echo "  (the import $still when that run ended: $(tail -1 "$WORK/import.log"))"
# A second import of the same file re-reads every row (all unchanged): load the page meanwhile.
import_run
run "results page during import" "$PAGE"
wait "$IMPORT_PID" || { echo "import failed:"; tail -5 "$WORK/import.log"; exit 1; }
echo "  ($(tail -1 "$WORK/import.log"))"

if [ "$SOAK" = 1 ]; then
  echo "# soak: ${SOAK_MINUTES} min of API load, worker RSS every 30 s"
  SECS=$("$PY" -c "print(int(float('$SOAK_MINUTES') * 60) + 5)")
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${SECS}s" --timeout 5s --latency \
    -s "$HERE/load.lua" "$BASE" -- "$WORK/origins.txt" "$API" > "$WORK/soak.txt" &
  WRK_PID=$!
  sleep 2
  status=0
  "$PY" "$HERE/load.py" soak "$SERVER_PID" --minutes "$SOAK_MINUTES" --every 30 || status=$?
  wait "$WRK_PID"
  printf '%-26s %s\n' "api soak" "$(grep '^RESULT' "$WORK/soak.txt" | sed 's/^RESULT //')"
  exit $status
fi
