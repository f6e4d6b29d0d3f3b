# Shared by bench/ingest/run.sh and upsert.sh (sourced, from the repository root): the qala
# binary (a release build, built if missing), a work directory, a database of the run's own
# (unless DATABASE_URL is given; dropped at the end) with qala's schema, GDAL's PG: string
# for it ($PG), gen_csv (seeded bus stops) and measure() — wall seconds and peak RSS of one command.
# Set BENCH_NAME (a word) before sourcing.
QALA=${QALA_BIN:-target/release/qala}
[ -x "$QALA" ] || cargo build --release -p qala-cli
work=$(mktemp -d "/tmp/qala-$BENCH_NAME-XXXX"); trap 'rm -rf "$work"' EXIT

if [ -z "${DATABASE_URL:-}" ]; then
  admin=$(QALA_HOME=.qala-test "$QALA" db url)
  db="qala_${BENCH_NAME}_$$"
  psql "$admin" -qc "CREATE DATABASE $db" >/dev/null
  export DATABASE_URL="${admin%/*}/$db"
  trap 'psql "$admin" -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1; rm -rf "$work"' EXIT
fi
"$QALA" -q db migrate
PG=$(python3 - "$DATABASE_URL" <<'PY'
import sys, urllib.parse as u
p = u.urlparse(sys.argv[1])
print(f"PG:host={p.hostname} port={p.port or 5432} user={p.username} password={p.password or ''} dbname={p.path[1:]}")
PY
)

measure() { # cmd… -> prints "seconds rss_kib" after running cmd under /usr/bin/time
  local t="$work/time.txt"
  /usr/bin/time -v -o "$t" "$@" >/dev/null 2>"$work/err.txt" || { cat "$work/err.txt" >&2; return 1; }
  awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; w = s }
              /Maximum resident set size/ { r = $2 } END { print w, r }' "$t"
}

gen_csv() { # n seed -> CSV lon,lat,category,name (WGS84), a fixed LCG so runs are comparable
  awk -v n="$1" -v seed="$2" 'BEGIN { s = seed; print "lon,lat,category,name";
    for (i = 1; i <= n; i++) { s = (s * 1103515245 + 12345) % 2147483648; x = 76.75 + 0.45 * s / 2147483648;
      s = (s * 1103515245 + 12345) % 2147483648; y = 43.10 + 0.35 * s / 2147483648;
      printf "%.7f,%.7f,bus_stop,stop %d\n", x, y, i } }'
}
