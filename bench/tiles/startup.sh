#!/usr/bin/env bash
# Start-up of `qala serve` on the benchmark city: time until it listens (every layer in
# memory, tiles ready), time until the indicator engine is ready, and peak RSS, for two
# qala binaries in one run (e.g. the previous release build and this one). Not run in CI.
#
#   BEFORE=/tmp/qala-before bench/tiles/startup.sh        # AFTER defaults to target/release/qala
#
# Needs the database of bench/tiles/run.sh (qala_bench_tiles in the test cluster); run that
# once first. The machine may be shared: compare the two lines, not absolute figures.
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
AFTER=${AFTER:-$REPO/target/release/qala}
BEFORE=${BEFORE:?set BEFORE=/path/to/an older qala to compare with}
DB_NAME=${BENCH_DB:-qala_bench_tiles}
PORT=${BENCH_PORT:-18471}
WORK=${BENCH_WORK:-$REPO/target/bench-tiles}
mkdir -p "$WORK"
ADMIN_URL=${BENCH_ADMIN_URL:-$(QALA_HOME=$REPO/.qala-test "$AFTER" -q db url)}
DB_URL="${ADMIN_URL%/*}/$DB_NAME"

# run NAME BINARY: prints "NAME listen_s engine_s peak_rss_mb"
run() {
  local name=$1 bin=$2 log=$WORK/startup-$1.log
  local t0 listen= engine=
  t0=$(date +%s.%N)
  QALA_LOG=warn /usr/bin/time -v "$bin" serve --database-url "$DB_URL" --listen "127.0.0.1:$PORT" \
    --web-dir /nonexistent >"$log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 3000); do
    h=$(curl -s "http://127.0.0.1:$PORT/health" || true)
    if [ -n "$h" ] && [ -z "$listen" ]; then listen=$(echo "$(date +%s.%N) - $t0" | bc); fi
    if echo "$h" | grep -q '"engine":"ready"'; then engine=$(echo "$(date +%s.%N) - $t0" | bc); break; fi
    sleep 0.1
  done
  # /usr/bin/time is the child of this shell; qala is its child.
  pkill -TERM -P "$pid" || true
  wait "$pid" || true
  local rss
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$log")
  printf '%-8s listen %6.1f s   engine ready %6.1f s   peak RSS %6s MB\n' "$name" "${listen:-nan}" "${engine:-nan}" "$rss"
  echo "$name $listen $engine $rss" >>"$WORK/startup.txt"
}

: >"$WORK/startup.txt"
echo "== qala serve start-up on $DB_NAME ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
run before "$BEFORE"
run after "$AFTER"
awk '{v[$1]=$0; l[$1]=$2; e[$1]=$3; r[$1]=$4}
     END {printf "ratios before/after: listen %.2fx, engine ready %.2fx, peak RSS %.2fx\n",
          l["before"]/l["after"], e["before"]/e["after"], r["before"]/r["after"]}' "$WORK/startup.txt"
