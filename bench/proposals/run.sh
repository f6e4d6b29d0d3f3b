#!/usr/bin/env bash
# Benchmark (not run in CI) of residents' proposals (issue 13):
#  - 100,000 approved synthetic proposals placed by population (seeded), then the timings of
#    what the public map and the planners read: GET /proposals (a map page of 5,000 in a bbox,
#    and the first 5,000 of the city), /proposals/stats and /proposals/demand per districts
#    and rings (medians of 5);
#  - a burst of 1,000 submissions from 1,000 distinct clients (X-Forwarded-For, trusted by
#    `qala serve --trust-forwarded-for`), 32 at a time: counts of each status, 5xx must be 0,
#    and every 202 must be a stored row (nothing lost).
# Usage: QALA=target/release/qala bench/proposals/run.sh [ADMIN_DATABASE_URL]
# ADMIN_DATABASE_URL defaults to $QALA_TEST_DATABASE_URL. The machine may be shared: say so
# when quoting the figures.
set -euo pipefail
cd "$(dirname "$0")/../.."
ADMIN_URL="${1:-${QALA_TEST_DATABASE_URL:?give an admin database URL or set QALA_TEST_DATABASE_URL}}"
QALA="${QALA:-$PWD/target/release/qala}"
PORT="${BENCH_PORT:-18491}"
N="${BENCH_PROPOSALS:-100000}"
DB=qala_bench_proposals
URL="${ADMIN_URL%/*}/$DB"
WORK="$PWD/target/bench-proposals"
mkdir -p "$WORK"

[ -x "$QALA" ] || cargo build --release -p qala-cli
psql "$ADMIN_URL" -q -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
export DATABASE_URL="$URL" QALA_LOG=error
"$QALA" --quiet fixtures load 2>/dev/null

echo "== $N synthetic proposals placed by population (seed 42)"
psql "$URL" -Atq -F, -c "SELECT ST_X(p), ST_Y(p), residents FROM (SELECT ST_PointOnSurface(geom) p, residents, source_row FROM population_cell_current WHERE layer_slug = 'population') s ORDER BY source_row" >"$WORK/cells.csv"
python3 - "$WORK/cells.csv" "$N" >"$WORK/proposals.tsv" <<'PY'
import bisect, hashlib, random, sys
random.seed(42)
cells = [tuple(map(float, l.split(","))) for l in open(sys.argv[1]) if l.strip()]
cum, t = [], 0.0
for c in cells:
    t += c[2]; cum.append(t)
cats = [("mobility_transport", 40), ("greening_air", 25), ("public_space", 12), ("safety", 8),
        ("architecture_housing", 6), ("other", 5), ("utilities", 4)]
bag = [c for c, w in cats for _ in range(w)]
statuses = ["received", "under_review", "accepted", "in_plan", "done"]
for i in range(int(sys.argv[2])):
    x, y, _ = cells[min(bisect.bisect(cum, random.random() * t), len(cells) - 1)]
    x += random.uniform(-0.0005, 0.0005); y += random.uniform(-0.00035, 0.00035)
    h = hashlib.sha256(f"bench{i}".encode()).hexdigest()
    print(f"SRID=4326;POINT({x:.7f} {y:.7f})\t{random.choice(bag)}\tbench proposal {i} (synthetic)\t{h}\tt\tapproved\t{random.choice(statuses)}")
PY
t0=$(date +%s.%N)
psql "$URL" -q -c "\\copy proposal (geom, category, body, client_hash, synthetic, moderation, status) FROM '$WORK/proposals.tsv'"
psql "$URL" -Atq -c "ANALYZE proposal"
echo "loaded in $(echo "$(date +%s.%N) - $t0" | bc) s; approved: $(psql "$URL" -Atq -c "SELECT count(*) FROM proposal WHERE moderation = 'approved'")"

echo "== qala serve ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
"$QALA" serve --listen "127.0.0.1:$PORT" --web-dir /nonexistent --trust-forwarded-for >"$WORK/serve.log" 2>&1 &
SERVE=$!
trap 'kill $SERVE 2>/dev/null || true; wait $SERVE 2>/dev/null || true' EXIT
until curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null; do sleep 0.2; done

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
timed() {
  local path=$1
  curl -fs -o /dev/null "http://127.0.0.1:$PORT$path" # warm
  local m
  m=$(for _ in 1 2 3 4 5; do curl -fs -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$PORT$path"; done | median)
  local size
  size=$(curl -fs "http://127.0.0.1:$PORT$path" | wc -c)
  printf '%-62s median %6.0f ms  %9d bytes\n' "$path" "$(echo "$m * 1000" | bc)" "$size"
}
timed "/proposals?limit=5000&bbox=76.90,43.22,76.97,43.27"
timed "/proposals?limit=5000"
timed "/proposals?limit=5000&category=greening_air&offset=20000"
timed "/proposals/stats?zones=districts"
timed "/proposals/stats?zones=rings"
timed "/proposals/demand?zones=districts"
timed "/indicators/stops_500m?zones=districts"
timed "/collections/proposals/items?limit=1000&bbox=76.90,43.22,76.97,43.27"

echo "== public map tiles (/proposals/tiles): every tile of the city at z10-z14, cold (first ask) and cached"
python3 - "$PORT" <<'PY'
import math, statistics, sys, time, urllib.request
port = sys.argv[1]
def tile(lon, lat, z):
    n = 2 ** z
    return int((lon + 180) / 360 * n), int((1 - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat))) / math.pi) / 2 * n)
for z in range(10, 15):
    x0, y0 = tile(76.75, 43.40, z); x1, y1 = tile(77.15, 43.10, z)
    cold, warm, sizes = [], [], []
    for x in range(x0, x1 + 1):
        for y in range(y0, y1 + 1):
            for bucket in (cold, warm):
                t = time.perf_counter()
                body = urllib.request.urlopen(f"http://127.0.0.1:{port}/proposals/tiles/{z}/{x}/{y}.mvt").read()
                bucket.append((time.perf_counter() - t) * 1000)
            sizes.append(len(body))
    q = lambda v: sorted(v)[max(0, int(len(v) * 0.95) - 1)]
    print(f"z{z:<3} {len(cold):4d} tiles  cold p50 {statistics.median(cold):6.1f} ms  p95 {q(cold):6.1f} ms  cached p50 {statistics.median(warm):5.1f} ms  largest {max(sizes):8d} bytes")
PY

echo "== burst: 1,000 submissions from 1,000 clients, 32 at a time"
before=$(psql "$URL" -Atq -c "SELECT count(*) FROM proposal")
python3 - "$PORT" "$WORK/cells.csv" <<'PY'
import concurrent.futures as cf, json, random, sys, time, urllib.request, urllib.error, uuid
random.seed(7)
port = sys.argv[1]
cells = [tuple(map(float, l.split(","))) for l in open(sys.argv[2]) if l.strip()]
cells = [c for c in cells if c[2] > 50]
def one(i):
    x, y, _ = random.Random(i).choice(cells)
    words = " ".join(uuid.UUID(int=random.Random(i * 7 + k).getrandbits(128)).hex[:10] for k in range(4))
    body = json.dumps({"geometry": {"type": "Point", "coordinates": [x, y]}, "category": "safety",
                       "text": f"burst {words}"}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/proposals", data=body, method="POST",
        headers={"content-type": "application/json", "x-forwarded-for": f"10.{i // 65536}.{i // 256 % 256}.{i % 256}"})
    t = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, time.monotonic() - t
    except urllib.error.HTTPError as e:
        return e.code, time.monotonic() - t
t0 = time.monotonic()
with cf.ThreadPoolExecutor(32) as ex:
    res = list(ex.map(one, range(1000)))
wall = time.monotonic() - t0
codes = {}
for c, _ in res:
    codes[c] = codes.get(c, 0) + 1
lat = sorted(d for _, d in res)
print(f"statuses {dict(sorted(codes.items()))}; wall {wall:.1f} s ({1000 / wall:.0f}/s); latency median {lat[500]*1000:.0f} ms, p95 {lat[950]*1000:.0f} ms, max {lat[-1]*1000:.0f} ms")
print(f"5xx: {sum(v for k, v in codes.items() if k >= 500)}")
open("/tmp/qala-bench-proposals-accepted", "w").write(str(codes.get(202, 0)))
PY
after=$(psql "$URL" -Atq -c "SELECT count(*) FROM proposal")
accepted=$(cat /tmp/qala-bench-proposals-accepted)
echo "stored $((after - before)) of $accepted accepted; lost: $((accepted - (after - before)))"
