#!/usr/bin/env bash
# HTTP load and soak of `locator serve --prod` (gunicorn, 2 workers, 127.0.0.1 only) at
# 100,000 synthetic facilities on SQLite, with wrk bounded in time and connections.
#
#   bench/load.sh            the framework's floor, the search API and a results page (alone,
#                            ROUNDS times, alternating), then both during an import
#   bench/load.sh --soak     then 10 minutes of API load, sampling worker RSS every 30 s
#   DATABASE=postgresql PG_URL=postgresql+psycopg://127.0.0.1:5432/locator_load bench/load.sh
#                            the same on PostgreSQL (PG_URL names a database it may recreate)
#
# The floor (bench/floor_app.py) is a bare Flask app answering a 12 kB JSON body and a 12 kB
# HTML page, served by the same gunicorn command line (the serve_* settings) and hit by the same
# wrk run; the last lines give the project's req/s and p99 as ratios to it.
# Needs wrk: `apt-get install -y wrk` (Debian/Ubuntu). Environment: ROWS (100000),
# DURATION (20s), CONNECTIONS (16), THREADS (2), ROUNDS (1), SOAK_MINUTES (10), PORT (free
# port), PY and LOCATOR (default .venv/bin/python and .venv/bin/locator).
# Targets (issue 21): API >= 40% of the floor's JSON req/s with p99 < 100 ms, results page >=
# 20% of the floor's HTML req/s with p99 < 150 ms, zero errors, the same during an import.
# Synthetic rows live only in the temporary database and are never served elsewhere.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(dirname "$HERE")"
PY="${PY:-$ROOT/.venv/bin/python}"
LOCATOR="${LOCATOR:-$ROOT/.venv/bin/locator}"
DATABASE="${DATABASE:-sqlite}"
ROUNDS="${ROUNDS:-1}"
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
FLOOR_PID=""
cleanup() {
  for pid in "$SERVER_PID" "$FLOOR_PID"; do
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT="${PORT:-$(free_port)}"
FLOOR_PORT="$(free_port)"
BASE="http://127.0.0.1:$PORT"
FLOOR="http://127.0.0.1:$FLOOR_PORT"
if [ "$DATABASE" = postgresql ]; then
  export LOCATOR_DATABASE_URL="${PG_URL:?set PG_URL to a database the bench may recreate}"
else
  export LOCATOR_DATABASE_URL="sqlite:///$WORK/load.db"
fi
export LOCATOR_CONFIG="$WORK/config.toml"
: > "$LOCATOR_CONFIG"
# The bench measures the server's throughput from one address; the per-client rate limits
# (tested in tests/test_security.py) would answer most of it with 429.
export LOCATOR_RATELIMIT_ENABLED=false

echo "# building $ROWS synthetic facilities and the import file in $WORK"
"$PY" "$HERE/load.py" prepare "$LOCATOR_DATABASE_URL" "$WORK/origins.txt" --rows "$ROWS"
"$PY" "$HERE/load.py" export "$WORK/export.csv" --rows "$ROWS"

"$LOCATOR" serve --prod --bind "127.0.0.1:$PORT" --workers 2 > "$WORK/gunicorn.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 120); do
  curl -fs -o /dev/null "$BASE/healthz" && break
  sleep 0.5
done
curl -fs -o /dev/null "$BASE/healthz" || { cat "$WORK/gunicorn.log"; exit 1; }
# The floor: the same gunicorn command line as `locator serve --prod`, a bare Flask app.
FLOOR_ARGS="$("$PY" -c "from locator.config import load_config; from locator.serving import gunicorn_argv
print(' '.join(gunicorn_argv(load_config({}), bind='127.0.0.1:$FLOOR_PORT', workers=2)[1:-1]))")"
# shellcheck disable=SC2086  # FLOOR_ARGS is a list of options
(cd "$ROOT" && exec "$PY" $FLOOR_ARGS bench.floor_app:app > "$WORK/floor.log" 2>&1) &
FLOOR_PID=$!
for _ in $(seq 1 60); do
  curl -fs -o /dev/null "$FLOOR/json" && break
  sleep 0.5
done
curl -fs -o /dev/null "$FLOOR/json" || { cat "$WORK/floor.log"; exit 1; }
echo "# $DATABASE; gunicorn master $SERVER_PID on $BASE and the floor's on $FLOOR, 2 workers each"
echo "# same command line: $FLOOR_ARGS; wrk -t$THREADS -c$CONNECTIONS -d$DURATION"
echo "# $(nproc) CPUs; load average before the runs: $(cut -d' ' -f1-3 /proc/loadavg)"

API="/api/v1/facilities?radius=25"
PAGE="/search?radius=25"
run() {  # label path-prefix [base-url]
  local out
  out="$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --timeout 5s --latency \
    -s "$HERE/load.lua" "${3:-$BASE}" -- "$WORK/origins.txt" "$2" | grep '^RESULT')"
  # The machine's load average says how much else competed for the CPUs during the run.
  printf '%-26s %s loadavg=%s\n' "$1" "${out#RESULT }" "$(cut -d' ' -f1 /proc/loadavg)" \
    | tee -a "$WORK/results.txt"
}

# Warm-up: each worker loads the gazetteer and the hot pages of the database.
wrk -t1 -c4 -d3s -s "$HERE/load.lua" "$BASE" -- "$WORK/origins.txt" "$API" > /dev/null
wrk -t1 -c4 -d3s -s "$HERE/load.lua" "$BASE" -- "$WORK/origins.txt" "$PAGE" > /dev/null
wrk -t1 -c4 -d2s -s "$HERE/load.lua" "$FLOOR" -- "$WORK/origins.txt" "/json?x=1" > /dev/null

for _ in $(seq 1 "$ROUNDS"); do  # alternate, so a busy minute hits the floor and us alike
  run "floor json" "/json?x=1" "$FLOOR"
  run "api alone" "$API"
  run "floor html" "/html?x=1" "$FLOOR"
  run "results page alone" "$PAGE"
done
kill -TERM "$FLOOR_PID"; wait "$FLOOR_PID" 2>/dev/null || true; FLOOR_PID=""
# Ratios to the floor, from the sums over the rounds (rps: ours / floor; p99: worst round).
awk '
  { label = $1 " " $2; split($0, f, /[ =]/)
    for (i = 1; i < length(f); i++) { if (f[i] == "rps") rps[label] += f[i + 1]
      if (f[i] == "p99_ms" && f[i + 1] > p99[label]) p99[label] = f[i + 1] } }
  END {
    printf "api vs floor json:          %5.1f%% of req/s (target >= 40%%), p99 %s ms (< 100)\n",
      100 * rps["api alone"] / rps["floor json"], p99["api alone"]
    printf "results page vs floor html: %5.1f%% of req/s (target >= 20%%), p99 %s ms (< 150)\n",
      100 * rps["results page"] / rps["floor html"], p99["results page"]
  }' "$WORK/results.txt"

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
