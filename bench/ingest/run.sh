#!/usr/bin/env bash
# Ingest benchmark: qala vs ogr2ogr (PG_USE_COPY) into the same PostGIS, in the same run.
#
#   bench/ingest/run.sh                 # 1,000,000-feature GeoPackage + 500,000-feature GeoJSON
#   SIZES="100000 50000" bench/ingest/run.sh   # smaller, for a quick look
#   ROUNDS=3 bench/ingest/run.sh        # three alternating rounds (a busy machine)
#
# Data: seeded, generated here — bus-stop points spread over Almaty with a category and a
# name; the GeoPackage is in UTM 43N (EPSG:32643) so both tools reproject it, the GeoJSON
# is WGS84. qala also validates every feature, writes a versioned layer all-or-nothing and
# builds the version's partition of the `service` table (primary key, GiST index, foreign
# key to the catalogue) when it attaches it; ogr2ogr writes a fresh table and builds its
# index. Peak memory comes from /usr/bin/time -v. Not run in CI.
#
# Needs: gdal-bin, /usr/bin/time, a release build of qala (built if missing), and a
# PostgreSQL: DATABASE_URL, or the project-local test cluster (.qala-test).
set -euo pipefail
cd "$(dirname "$0")/../.."
read -r GPKG_N GEOJSON_N <<<"${SIZES:-1000000 500000}"
BENCH_NAME=bench
# shellcheck source=bench/ingest/common.sh
source bench/ingest/common.sh

echo "generating $GPKG_N-feature GeoPackage (EPSG:32643) and $GEOJSON_N-feature GeoJSON (EPSG:4326)…"
gen_csv "$GPKG_N" 42 > "$work/a.csv"
ogr2ogr -f GPKG "$work/stops.gpkg" "$work/a.csv" -oo X_POSSIBLE_NAMES=lon -oo Y_POSSIBLE_NAMES=lat \
  -s_srs EPSG:4326 -t_srs EPSG:32643 -nln stops -lco SPATIAL_INDEX=NO
gen_csv "$GEOJSON_N" 7 > "$work/b.csv"
ogr2ogr -f GeoJSON "$work/stops.geojson" "$work/b.csv" -oo X_POSSIBLE_NAMES=lon -oo Y_POSSIBLE_NAMES=lat \
  -a_srs EPSG:4326 -nln stops
rm -f "$work"/*.csv

printf '\n%-28s %10s %10s %12s %10s %12s %9s %9s %7s\n' "input" "features" "qala s" "qala f/s" "ogr2ogr s" "ogr2ogr f/s" "qala MiB" "ogr MiB" "ratio"
run_one() { # label file n kind extra_ogr_args…
  local label=$1 file=$2 n=$3; shift 3
  read -r q_s q_rss < <(measure "$QALA" -q ingest "$file" --layer "bench-$label" --kind service --title "benchmark $label")
  local loaded
  loaded=$(psql "$DATABASE_URL" -Atc "SELECT count(*) FROM service_current WHERE layer_slug = 'bench-$label'")
  [ "$loaded" = "$n" ] || { echo "qala loaded $loaded of $n features" >&2; exit 1; }
  read -r o_s o_rss < <(measure ogr2ogr -f PostgreSQL "$PG" "$file" --config PG_USE_COPY YES \
    -nln "bench_ogr_${label//-/_}" -lco GEOMETRY_NAME=geom -lco SPATIAL_INDEX=GIST -overwrite -t_srs EPSG:4326 "$@")
  awk -v l="$label" -v n="$n" -v qs="$q_s" -v qr="$q_rss" -v os="$o_s" -v orr="$o_rss" 'BEGIN {
    printf "%-28s %10d %10.2f %12.0f %10.2f %12.0f %9.0f %9.0f %6.2fx\n", l, n, qs, n / qs, os, n / os, qr / 1024, orr / 1024, os / qs }'
}
# ROUNDS=3 repeats both inputs, qala and ogr2ogr alternating, so a burst of other work on the
# machine hits both tools alike; each round is a new layer (the same file twice loads nothing).
for r in $(seq 1 "${ROUNDS:-1}"); do
  sfx=""; [ "${ROUNDS:-1}" = 1 ] || sfx="-r$r"
  run_one "gpkg-utm43n$sfx" "$work/stops.gpkg" "$GPKG_N"
  run_one "geojson-wgs84$sfx" "$work/stops.geojson" "$GEOJSON_N"
done
echo
echo "ratio = ogr2ogr time / qala time (>1 means qala is faster). qala validates, reprojects,"
echo "versions (a partition of the kind's table, with its indexes); ogr2ogr only copies into a new table."
echo "The machine has 2 cores shared with other work: repeat runs vary by ±20%."
