#!/usr/bin/env bash
# Start-up of `qala serve` on the benchmark city, two ways in one run:
#   before  QALA_LOAD_BEFORE_LISTENING=1: every layer in memory before it listens;
#   after   the default: it listens at once, PostGIS cuts the tiles of layers still loading.
# For each: seconds until it answers (/livez), until its first tile (buildings + trees at
# z14 over the centre; cut by PostGIS while loading) and that tile's latency, until every
# layer is in memory (/readyz "loading" empty), until ready (/readyz 200: the indicator
# engine built too), and peak RSS. While loading, tiles at z14 are fetched every 0.5 s and
# their latencies summarised. Not run in CI.
#
#   bench/tiles/startup.sh                 # QALA defaults to target/release/qala
#   BEFORE=/tmp/qala-old bench/tiles/startup.sh   # an older binary for the "before" line
#
# Needs the database of bench/tiles/run.sh (qala_bench_tiles in the test cluster); run that
# once first. The machine may be shared: compare the two lines, not absolute figures.
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
QALA=${QALA:-$REPO/target/release/qala}
BEFORE=${BEFORE:-$QALA}
DB_NAME=${BENCH_DB:-qala_bench_tiles}
PORT=${BENCH_PORT:-18471}
WORK=${BENCH_WORK:-$REPO/target/bench-tiles}
mkdir -p "$WORK"
ADMIN_URL=${BENCH_ADMIN_URL:-$(QALA_HOME=$REPO/.qala-test "$QALA" -q db url)}
DB_URL="${ADMIN_URL%/*}/$DB_NAME"
TILE=/tiles/buildings,tree-plantings/14/11693/6005.mvt

now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc; }

# run NAME BINARY [ENV...]: one start-up, one line of figures.
run() {
  local name=$1 bin=$2 log=$WORK/startup-$1.log lat=$WORK/startup-$1.lat
  shift 2
  local t0 listen='' tile='' tile_ms='' loaded='' ready='' code body
  : >"$lat"
  t0=$(now)
  env QALA_LOG=info "$@" /usr/bin/time -v "$bin" serve --database-url "$DB_URL" --listen "127.0.0.1:$PORT" \
    --web-dir /nonexistent >"$log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 6000); do
    if [ -z "$listen" ]; then
      curl -sf "http://127.0.0.1:$PORT/livez" >/dev/null 2>&1 && listen=$(since "$t0") || { sleep 0.05; continue; }
    fi
    if [ -z "$tile" ] || [ -z "$loaded" ]; then
      read -r code ms < <(curl -s -o /dev/null -w '%{http_code} %{time_total}\n' "http://127.0.0.1:$PORT$TILE" || echo "000 0")
      if [ "$code" = 200 ]; then
        [ -n "$tile" ] || { tile=$(since "$t0"); tile_ms=$(echo "$ms * 1000" | bc); }
        [ -n "$loaded" ] || echo "$ms" >>"$lat"
      fi
    fi
    body=$(curl -s "http://127.0.0.1:$PORT/readyz" || true)
    if [ -z "$loaded" ] && echo "$body" | grep -q '"loading":\[\]'; then loaded=$(since "$t0"); fi
    if echo "$body" | grep -q '"ready":true'; then
      ready=$(since "$t0")
      [ -n "$loaded" ] || loaded=$ready
      break
    fi
    sleep 0.5
  done
  pkill -TERM -P "$pid" || true
  wait "$pid" || true
  local rss p50 max n
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$log")
  n=$(wc -l <"$lat")
  p50=$(sort -n "$lat" | awk '{a[NR]=$1} END {if (NR) printf "%.0f", a[int((NR+1)/2)]*1000; else print "-"}')
  max=$(sort -n "$lat" | awk 'END {if (NR) printf "%.0f", $1*1000; else print "-"}')
  printf '%-7s listen %5.2f s | first tile %5.2f s (%4.0f ms) | tiles while loading: %3d, p50 %4s ms, max %5s ms | all in memory %5.1f s | ready %5.1f s | peak RSS %5s MB\n' \
    "$name" "${listen:-nan}" "${tile:-nan}" "${tile_ms:-0}" "$n" "$p50" "$max" "${loaded:-nan}" "${ready:-nan}" "$rss"
  echo "$name $listen $tile $loaded $ready $rss" >>"$WORK/startup.txt"
}

: >"$WORK/startup.txt"
echo "== qala serve start-up on $DB_NAME ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)); tile $TILE"
run before "$BEFORE" QALA_LOAD_BEFORE_LISTENING=1
run after "$QALA"
awk '{l[$1]=$2; t[$1]=$3; m[$1]=$4; r[$1]=$5; s[$1]=$6}
     END {printf "ratios before/after: listen %.1fx, first tile %.1fx, all in memory %.2fx, ready %.2fx, peak RSS %.2fx\n",
          l["before"]/l["after"], t["before"]/t["after"], m["before"]/m["after"], r["before"]/r["after"], s["before"]/s["after"]}' "$WORK/startup.txt"
