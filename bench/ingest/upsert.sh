#!/usr/bin/env bash
# Upsert benchmark: 10,000 changed features into a 500,000-feature layer, qala vs the peer, in
# the same run on the same PostGIS.
#
#   bench/ingest/upsert.sh                      # 500,000 served, 10,000 changed
#   SIZES="100000 2000" bench/ingest/upsert.sh  # smaller, for a quick look
#
# qala: `qala ingest change.geojson --mode upsert --key name` — validates the file, writes a new
# version of the layer (the served rows it does not change are copied with their ids, so
# rollback and history keep working), keeps the changed features' ids, and switches the layer
# all-or-nothing. Peer: what a DBA would run without versions — ogr2ogr (PG_USE_COPY) of the
# change file into a staging table, then one INSERT … ON CONFLICT (name) DO UPDATE into a plain
# table with a unique index; no history, no validation. Not run in CI.
#
# Needs: gdal-bin, psql, /usr/bin/time, a release build of qala (built if missing), and a
# PostgreSQL: DATABASE_URL, or the project-local test cluster (.qala-test).
set -euo pipefail
cd "$(dirname "$0")/../.."
read -r BASE_N CHANGE_N <<<"${SIZES:-500000 10000}"
BENCH_NAME=bench_upsert
# shellcheck source=bench/ingest/common.sh
source bench/ingest/common.sh

# A fixed LCG, so runs are comparable: base stops "stop 1…N"; the change file moves every
# (N/CHANGE_N)-th stop a little and gives it a capacity.
echo "generating $BASE_N served and $CHANGE_N changed features…"
gen_csv "$BASE_N" 42 > "$work/base.csv"
awk -v n="$BASE_N" -v m="$CHANGE_N" 'BEGIN { step = int(n / m); print "lon,lat,category,name,capacity";
  for (j = 1; j <= m; j++) { i = j * step; printf "%.7f,%.7f,bus_stop,stop %d,%d\n", 76.8 + 0.3 * j / m, 43.2 + 0.1 * ((j * 7919) % m) / m, i, 10 + j % 90 } }' > "$work/change.csv"
for f in base change; do
  ogr2ogr -f GeoJSON "$work/$f.geojson" "$work/$f.csv" -oo X_POSSIBLE_NAMES=lon -oo Y_POSSIBLE_NAMES=lat \
    -oo AUTODETECT_TYPE=YES -a_srs EPSG:4326 -nln stops
done

echo "loading the $BASE_N served features (not timed)…"
"$QALA" -q ingest "$work/base.geojson" --layer bench-upsert --kind service --title "benchmark upsert (synthetic)"
ogr2ogr -f PostgreSQL "$PG" "$work/base.geojson" --config PG_USE_COPY YES -nln bench_peer_stops \
  -lco GEOMETRY_NAME=geom -lco SPATIAL_INDEX=GIST -overwrite
psql "$DATABASE_URL" -qc "CREATE UNIQUE INDEX ON bench_peer_stops (name)"
served_id() { psql "$DATABASE_URL" -Atc "SELECT service_id FROM service_current WHERE layer_slug = 'bench-upsert' AND name = 'stop $1'"; }
probe=$(( BASE_N / CHANGE_N ))
id_before=$(served_id "$probe")

read -r q_s q_rss < <(measure "$QALA" -q ingest "$work/change.geojson" --layer bench-upsert --mode upsert --key name)
cat > "$work/peer.sh" <<SH
set -e
ogr2ogr -f PostgreSQL "$PG" "$work/change.geojson" --config PG_USE_COPY YES -nln bench_peer_stage -lco GEOMETRY_NAME=geom -lco SPATIAL_INDEX=NONE -overwrite
psql "$DATABASE_URL" -qc "INSERT INTO bench_peer_stops (name, category, geom) SELECT name, category, geom FROM bench_peer_stage
  ON CONFLICT (name) DO UPDATE SET category = EXCLUDED.category, geom = EXCLUDED.geom"
SH
read -r p_s p_rss < <(measure bash "$work/peer.sh")

served=$(psql "$DATABASE_URL" -Atc "SELECT count(*) FROM service_current WHERE layer_slug = 'bench-upsert'")
changed=$(psql "$DATABASE_URL" -Atc "SELECT count(*) FROM service_current WHERE layer_slug = 'bench-upsert' AND capacity IS NOT NULL")
[ "$served" = "$BASE_N" ] || { echo "qala serves $served features, not $BASE_N" >&2; exit 1; }
[ "$changed" = "$CHANGE_N" ] || { echo "qala changed $changed features, not $CHANGE_N" >&2; exit 1; }
[ "$(served_id "$probe")" = "$id_before" ] || { echo "a changed feature lost its id" >&2; exit 1; }

printf '\n%-34s %10s %10s %10s %9s %9s %7s\n' "upsert" "served" "changed" "qala s" "peer s" "qala MiB" "ratio"
awk -v n="$BASE_N" -v m="$CHANGE_N" -v qs="$q_s" -v ps="$p_s" -v qr="$q_rss" 'BEGIN {
  printf "%-34s %10d %10d %10.2f %9.2f %9.0f %6.2fx\n", "geojson, key name", n, m, qs, ps, qr / 1024, ps / qs }'
echo
echo "ratio = peer time / qala time (>1: qala is faster). qala writes a whole new version (the"
echo "$((BASE_N - CHANGE_N)) unchanged rows are copied in the database) so that history and rollback"
echo "keep working; the peer updates one unversioned table in place. 2 cores: runs vary by ±20%."
