"""Times items pages with bbox + CQL2 over HTTP and the same query in PostGIS (psql), and prints
p50/p95 and the ratio. Called by bench/ogc/run.sh."""

import argparse
import statistics
import subprocess
import time
import urllib.parse
import urllib.request

CASES = [
    # (collection, table, bbox, cql2 text, SQL condition for the peer)
    ("buildings", "building", "76.88,43.22,76.98,43.28", "building IS NOT NULL OR levels > 2",
     "(t.building IS NOT NULL OR t.levels > 2)"),
    ("roads", "road", "76.85,43.2,77.0,43.3", "highway IN ('residential', 'tertiary', 'secondary') AND name IS NOT NULL",
     "t.highway IN ('residential', 'tertiary', 'secondary') AND t.name IS NOT NULL"),
    ("population", "population_cell", "76.8,43.15,77.05,43.35", "residents > 100",
     "t.residents > 100"),
]


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True)
    ap.add_argument("--db-url", required=True)
    ap.add_argument("--n", type=int, default=200)
    a = ap.parse_args()
    print(f"{'collection':12} {'returned':>8} {'matched':>8} {'qala p50':>9} {'qala p95':>9} {'SQL p50':>8} {'SQL p95':>8} {'p95 ratio':>9}")
    for col, table, bbox, cql, cond in CASES:
        url = f"{a.base}/collections/{col}/items?limit=1000&bbox={bbox}&filter={urllib.parse.quote(cql)}"
        times = []
        for i in range(a.n + 5):
            t0 = time.perf_counter()
            with urllib.request.urlopen(url) as r:
                body = r.read()
            if i >= 5:
                times.append((time.perf_counter() - t0) * 1000)
        import json
        page = json.loads(body)
        x0, y0, x1, y1 = bbox.split(",")
        vid = subprocess.run(["psql", a.db_url, "-tAc",
                              f"SELECT current_version_id FROM layer WHERE slug = '{col}'"],
                             capture_output=True, text=True).stdout.strip()
        sql = (f"SELECT json_build_object('type','Feature','id',t.{table}_id,'geometry',ST_AsGeoJSON(t.geom, 9)::json,'properties',t.props)::text "
               f"FROM {table} t WHERE t.layer_version_id = {vid or 0} AND ST_Intersects(t.geom, ST_MakeEnvelope({x0},{y0},{x1},{y1},4326)) AND {cond} "
               f"ORDER BY t.{table}_id LIMIT 1000")
        script = "\\timing on\n" + ";\n".join([sql] * min(a.n, 100)) + ";\n"
        out = subprocess.run(["psql", a.db_url, "-qAt", "-o", "/dev/null"], input=script, capture_output=True, text=True).stdout
        sql_ms = [float(l.split()[1]) for l in out.splitlines() if l.startswith("Time:")]
        if not sql_ms:
            sql_ms = [float("nan")]
        print(f"{col:12} {page['numberReturned']:8} {page['numberMatched']:8} {pct(times,50):8.1f}ms {pct(times,95):8.1f}ms "
              f"{pct(sql_ms,50):7.1f}ms {pct(sql_ms,95):7.1f}ms {pct(times,95)/pct(sql_ms,95):8.2f}x")


if __name__ == "__main__":
    main()
