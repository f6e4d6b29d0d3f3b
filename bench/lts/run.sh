#!/usr/bin/env bash
# Benchmark (not run in CI): the cycling stress network — per-segment LTS and low-stress
# islands for the three lane scenarios — in the engine (over HTTP, as users get it) against
# the pgRouting reference (sql/reference/lts_stress.sql + lts_islands.sql) in the same run.
#
# Usage: bench/lts/run.sh [ADMIN_DATABASE_URL]
#   ADMIN_DATABASE_URL: a PostGIS server where a database may be created (default:
#   $QALA_TEST_DATABASE_URL). The database qala_bench_lts is (re)created there with the
#   fixtures. With BENCH_SCALE=1 and $BENCH_DIR/population.geojson present (qala synth
#   --scale bench), the bench-scale population and bike lanes replace the fixture ones.
# Engine times: the first request of a scenario builds its network (classification, lane
# matching, graph, components, snapping every cell): that is the figure; a second request
# shows the cached answer. The machine is shared: quote the figures with that caveat.
set -euo pipefail
cd "$(dirname "$0")/../.."
ADMIN_URL="${1:-${QALA_TEST_DATABASE_URL:?give an admin database URL or set QALA_TEST_DATABASE_URL}}"
BENCH_DIR="${BENCH_DIR:-/tmp/bench-city-engine}"
QALA="${QALA:-$PWD/target/debug/qala}"
DB=qala_bench_lts
URL="${ADMIN_URL%/*}/$DB"
PORT="${PORT:-18097}"

[ -x "$QALA" ] || cargo build -p qala-cli
echo "==> fresh database $DB"
psql "$ADMIN_URL" -q -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
export DATABASE_URL="$URL"
export QALA_LOG=error
"$QALA" --quiet fixtures load 2>/dev/null
scale=fixture
if [ "${BENCH_SCALE:-0}" = 1 ] && [ -f "$BENCH_DIR/population.geojson" ]; then
  scale=bench
  "$QALA" --quiet ingest "$BENCH_DIR/population.geojson" --layer population
  "$QALA" --quiet ingest "$BENCH_DIR/bike-lanes.geojson" --layer bike-lanes
fi
psql "$URL" -Atq -c "ANALYZE"
echo "scale: $scale; roads $(psql "$URL" -Atq -c "SELECT count(*) FROM road r JOIN layer l ON l.current_version_id = r.layer_version_id"),\
 lanes $(psql "$URL" -Atq -c "SELECT count(*) FROM bike_lane r JOIN layer l ON l.current_version_id = r.layer_version_id"),\
 cells $(psql "$URL" -Atq -c "SELECT count(*) FROM population_cell r JOIN layer l ON l.current_version_id = r.layer_version_id")"

"$QALA" --quiet serve --listen "127.0.0.1:$PORT" >/dev/null 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/zones/districts" || true)
  [ "$code" = 200 ] && break
  sleep 0.5
done
echo "==> engine over HTTP (nproc $(nproc), load $(cut -d' ' -f1-3 /proc/loadavg))"
for s in existing under_construction plan; do
  first=$(curl -s -o /tmp/lts-$s.json -w '%{time_total}' "http://127.0.0.1:$PORT/networks/lts/islands?scenario=$s")
  again=$(curl -s -o /dev/null -w '%{time_total}' "http://127.0.0.1:$PORT/networks/lts/islands?scenario=$s")
  seg=$(curl -s -o /dev/null -w '%{time_total}' "http://127.0.0.1:$PORT/networks/lts?scenario=$s&limit=10000")
  python3 - "$s" "$first" "$again" "$seg" /tmp/lts-$s.json <<'PY'
import json, sys
s, first, again, seg, path = sys.argv[1:]
r = json.load(open(path))
i = r["islands"]
print(f"{s:>18}: islands {len(i)}, largest {i[0]['length_km']:.1f} km / {i[0]['residents']:.0f} residents, "
      f"low-stress {r['low_stress_km']:.1f} km, ways by LTS {r['ways_by_lts']}; "
      f"first {float(first)*1000:.0f} ms (build), cached {float(again)*1000:.0f} ms, 10k segments GeoJSON {float(seg)*1000:.0f} ms")
PY
done
prio=$(curl -s -o /tmp/lts-prio.json -w '%{time_total}' "http://127.0.0.1:$PORT/networks/lts/priorities")
python3 - "$prio" <<'PY'
import json, sys
r = json.load(open("/tmp/lts-prio.json"))
p = r["priorities"]
top = p[0] if p else {}
print(f"        priorities: {len(p)} planned segments, {sum(1 for x in p if x['residents_newly_connected'] > 0)} connect somebody; "
      f"top {top.get('residents_per_km', 0):.0f} residents/km ({top.get('name')}); {float(sys.argv[1])*1000:.0f} ms (networks cached)")
PY
echo "==> pgRouting reference (sql/reference/lts_stress.sql + lts_islands.sql), per scenario"
for s in existing under_construction plan; do
  ms=$(python3 - "$URL" "$s" <<'PY'
import subprocess, sys, time
url, s = sys.argv[1:]
rules = open("sql/indicators/lts_rules.json").read().replace("'", "''")
sql = f"""
CREATE TEMP TABLE ref_binding (role text, slug text, layer_version_id bigint, selection jsonb);
INSERT INTO ref_binding SELECT r, l.slug, l.current_version_id, NULL FROM layer l,
  (VALUES ('roads', 'roads'), ('bike_lanes', 'bike-lanes'), ('population', 'population'), ('elevation', 'elevation')) v(r, slug) WHERE l.slug = v.slug;
SELECT set_config('qala.lts_rules', '{rules}', false), set_config('qala.lts_scenario', '{s}', false);
""" + open("sql/reference/lts_stress.sql").read() + open("sql/reference/lts_islands.sql").read()
t = time.time()
out = subprocess.run(["psql", url, "-Atq", "-v", "ON_ERROR_STOP=1"], input=sql, text=True, capture_output=True, check=True).stdout
el = (time.time() - t) * 1000
rows = [l for l in out.splitlines() if l.count("|") == 4]
print(f"{el:.0f} ms, {len(rows)} islands")
PY
)
  echo "$(printf '%18s' "$s"): $ms"
done

echo "==> connectivity on the low-stress network (low_stress_access definitions), by district"
ids=$(curl -s "http://127.0.0.1:$PORT/indicators" | python3 -c 'import json,sys; print(" ".join(d["id"] for d in json.load(sys.stdin) if d["measure"]["type"] == "low_stress_access"))')
t0=$(date +%s.%N)
for id in $ids; do
  curl -s -o "/tmp/lts-conn-$id.json" "http://127.0.0.1:$PORT/indicators/$id?zones=districts"
done
t1=$(date +%s.%N)
python3 - $ids <<'PY'
import json, sys
for i in sys.argv[1:]:
    r = json.load(open(f"/tmp/lts-conn-{i}.json"))
    c = r["low_stress"]["city"]
    print(f"{i:>36}: low-stress {c['low_stress']:.3f}, all streets {c['all_streets']:.3f}, gap {c['gap']:.3f}")
PY
echo "engine, all 12 over HTTP (networks already built above): $(python3 -c "print(f'{($t1-$t0)*1000:.0f} ms')")"
t0=$(date +%s.%N)
"$QALA" --quiet indicators --indicator "$(echo $ids | tr ' ' ',')" --zones districts --reference sql/reference > /tmp/lts-conn-ref.json
t1=$(date +%s.%N)
echo "pgRouting reference, all 12 in one run (lts_stress.sql + lts_graph.sql once per scenario, network_access.sql each): $(python3 -c "print(f'{($t1-$t0)*1000:.0f} ms')")"

echo "==> step-free and elderly walking (profile_access definitions), by district"
pids=$(curl -s "http://127.0.0.1:$PORT/indicators" | python3 -c 'import json,sys; print(" ".join(d["id"] for d in json.load(sys.stdin) if d["measure"]["type"] == "profile_access"))')
t0=$(date +%s.%N)
for id in $pids; do
  curl -s -o "/tmp/walk-prof-$id.json" "http://127.0.0.1:$PORT/indicators/$id?zones=districts"
done
t1=$(date +%s.%N)
python3 - $pids <<'PY'
import json, sys
for i in sys.argv[1:]:
    r = json.load(open(f"/tmp/walk-prof-{i}.json"))
    c = r["walk_profile"]["city"]
    print(f"{i:>36}: " + ", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in c.items()))
PY
echo "engine, all $(echo $pids | wc -w) over HTTP (each profile's graph built on its first request): $(python3 -c "print(f'{($t1-$t0)*1000:.0f} ms')")"
t0=$(date +%s.%N)
"$QALA" --quiet indicators --indicator "$(echo $pids | tr ' ' ',')" --zones districts --reference sql/reference > /tmp/walk-prof-ref.json
t1=$(date +%s.%N)
echo "pgRouting reference, all $(echo $pids | wc -w) in one run (walk_profile_graph.sql per definition): $(python3 -c "print(f'{($t1-$t0)*1000:.0f} ms')")"
python3 - $pids <<'PY'
import json, sys
ref = {r["indicator"]: r for r in json.load(open("/tmp/walk-prof-ref.json"))["indicators"]}
bad = 0
for i in sys.argv[1:]:
    eng = json.load(open(f"/tmp/walk-prof-{i}.json"))
    r = ref.get(i)
    if r is None:
        print(f"{i}: not in the reference output"); bad += 1; continue
    rz = {z["zone"]: (z["numerator"], z["denominator"]) for z in r["zones"]}
    diff = max(abs(z["numerator"] - rz.get(z["zone"], (float("nan"), 0))[0]) for z in eng["zones"])
    if not diff <= 1e-6:
        bad += 1
    print(f"{i:>36}: engine vs reference, largest zone numerator difference {diff:.2e} residents; reference {r['elapsed_ms']:.0f} ms")
print("agreement:", "all equal" if bad == 0 else f"{bad} differ")
PY
