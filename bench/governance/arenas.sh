#!/usr/bin/env bash
# Does capping glibc's malloc arenas cost tile throughput? Cold tiles (--no-tile-cache) at z14
# and z16 around the centre of the benchmark city (database qala_bench_governed, loaded by
# bench/governance/run.sh) with wrk, and the peak RSS, for each MALLOC_ARENA_MAX in $ARENAS
# ("default" = qala's own setting). 127.0.0.1 only; each wrk run is bounded (DUR seconds).
# Usage: QALA=target/release/qala bench/governance/arenas.sh ADMIN_DATABASE_URL
set -euo pipefail
cd "$(dirname "$0")/../.."
ADMIN_URL="${1:-${QALA_TEST_DATABASE_URL:?give an admin database URL}}"
QALA="${QALA:-$PWD/target/release/qala}"
PORT="${BENCH_PORT:-18483}"
DUR="${DUR:-15}"
WORK="$PWD/target/bench-governance/arenas"
mkdir -p "$WORK"
export DATABASE_URL="${ADMIN_URL%/*}/qala_bench_governed" QALA_LOG=error
LAYERS=buildings-synthetic,tree-plantings,tree-fellings,roads,green-spaces
for z in 14 16; do
  python3 - "$z" "$LAYERS" > "$WORK/paths-z$z.txt" <<'PY'
import math, sys
z, layers = int(sys.argv[1]), sys.argv[2]
lon, lat = 76.9458, 43.2380  # Republic Square
n = 2 ** z
x0 = int((lon + 180) / 360 * n)
y0 = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
for dx in range(-6, 6):
    for dy in range(-6, 6):
        print(f"/tiles/{layers}/{z}/{x0 + dx}/{y0 + dy}.mvt")
PY
done
printf '%-8s %-5s %10s %9s %9s %7s\n' arenas zoom "req/s" "p50 ms" "p99 ms" errors
for a in ${ARENAS:-default 1}; do
  if [ "$a" = default ]; then envset=(); else envset=(MALLOC_ARENA_MAX="$a"); fi
  env "${envset[@]}" /usr/bin/time -v "$QALA" serve --listen "127.0.0.1:$PORT" --web-dir /nonexistent --no-tile-cache >"$WORK/serve-$a.log" 2>&1 &
  SERVE=$!
  until curl -fs "http://127.0.0.1:$PORT/readyz" 2>/dev/null >/dev/null; do sleep 0.5; done
  for z in 14 16; do
    out=$(PATHS="$WORK/paths-z$z.txt" wrk -t2 -c8 -d"${DUR}s" -s bench/tiles/paths.lua "http://127.0.0.1:$PORT" | grep '^RESULT')
    read -r _ n us p50 p99 err <<<"$out"
    awk -v a="$a" -v z="$z" -v n="$n" -v us="$us" -v p50="$p50" -v p99="$p99" -v e="$err" \
      'BEGIN { printf "%-8s %-5s %10.0f %9.2f %9.2f %7d\n", a, "z" z, n / (us / 1e6), p50, p99, e }'
  done
  pkill -TERM -P $SERVE || true
  wait $SERVE || true
  awk -F': ' -v a="$a" '/Maximum resident set size/ {printf "%-8s peak RSS %.0f MB\n", a, $2/1024}' "$WORK/serve-$a.log"
done
