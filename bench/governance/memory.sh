#!/usr/bin/env bash
# Peak RSS and time to engine-ready of `qala serve` on the benchmark city that
# bench/governance/run.sh loaded (database qala_bench_governed; run that first), and where
# the memory goes, layer by layer (crates/qala-server/examples/served_memory.rs).
# Usage: QALA=target/debug/qala [SERVED_MEMORY=target/debug/examples/served_memory] \
#   bench/governance/memory.sh [ADMIN_DATABASE_URL]   (build the example with
#   `cargo build -p qala-server --example served_memory`)
# The machine may be shared: say so when quoting the figures.
set -euo pipefail
cd "$(dirname "$0")/../.."
ADMIN_URL="${1:-${QALA_TEST_DATABASE_URL:?give an admin database URL or set QALA_TEST_DATABASE_URL}}"
QALA="${QALA:-$PWD/target/debug/qala}"
PORT="${BENCH_PORT:-18482}"
URL="${ADMIN_URL%/*}/qala_bench_governed"
WORK="$PWD/target/bench-governance"
mkdir -p "$WORK"
now() { date +%s.%N; }
export DATABASE_URL="$URL" QALA_LOG=error

echo "== $QALA serve on the benchmark city ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
t0=$(now)
/usr/bin/time -v "$QALA" serve --listen "127.0.0.1:$PORT" --web-dir /nonexistent >"$WORK/memory-serve.log" 2>&1 &
SERVE=$!
trap 'pkill -TERM -P $SERVE 2>/dev/null || true; wait $SERVE 2>/dev/null || true' EXIT
until curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null; do sleep 0.2; done
echo "engine ready after $(echo "$(now) - $t0" | bc) s"
PID=$(pgrep -P $SERVE)
grep -E 'VmHWM|VmRSS' "/proc/$PID/status" | tr -s ' \t' ' ' | sed 's/^/at ready: /'
curl -fs "http://127.0.0.1:$PORT/indicators/stops_500m" >/dev/null
# Tiles around the centre at z10-15, every layer: their sha256 shows whether two builds
# cut the same tiles.
LAYERS=$(curl -fs "http://127.0.0.1:$PORT/layers" | python3 -c 'import json,sys; print(",".join(l["slug"] for l in json.load(sys.stdin)))')
rm -rf "$WORK/tiles" && mkdir -p "$WORK/tiles"
for z in 10 11 12 13 14 15; do
  x0=$(( (1 << z) * 7136 / 10000 )); y0=$(( (1 << z) * 3663 / 10000 ))
  for x in $x0 $((x0 + 1)); do for y in $y0 $((y0 + 1)); do
    curl -fs "http://127.0.0.1:$PORT/tiles/$LAYERS/$z/$x/$y.mvt" -o "$WORK/tiles/$z-$x-$y.mvt"
  done; done
done
echo "tiles: $(ls "$WORK/tiles" | wc -l) files, $(cat "$WORK"/tiles/* | wc -c) bytes, sha256 $(cat "$WORK"/tiles/* | sha256sum | cut -c1-16)"
grep -E 'VmHWM|VmRSS' "/proc/$PID/status" | tr -s ' \t' ' ' | sed 's/^/after an indicator and some tiles: /'
pkill -TERM -P $SERVE || true
wait $SERVE || true
trap - EXIT
awk -F': ' '/Maximum resident set size/ {printf "qala serve peak RSS %.0f MB\n", $2/1024}' "$WORK/memory-serve.log"
if [ -x "${SERVED_MEMORY:-}" ]; then
  echo "== where the memory goes (heap held, MB)"
  "$SERVED_MEMORY"
fi
