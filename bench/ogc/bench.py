"""Times items pages with bbox + CQL2 over HTTP and the same query in PostGIS (psql), and prints
p50/p95 and the ratio. Called by bench/ogc/run.sh.

Every request has its own bbox (the case's box moved by up to --jitter degrees, from a fixed
seed), so no answer and no count can be served from a cache of an earlier request; the SQL peer
runs the same boxes.

With --qala-pid and --postmaster-pid (Linux), it also prints the CPU time per request of qala
and of PostgreSQL's backends during qala's requests: unlike wall times, these barely move when
other work shares the machine."""

import argparse
import json
import os
import random
import subprocess
import time
import urllib.parse
import urllib.request

CASES = [
    # (collection, table, bbox, cql2 text, SQL condition for the peer)
    ("buildings", "building", (76.88, 43.22, 76.98, 43.28), "building IS NOT NULL OR levels > 2",
     "(t.building IS NOT NULL OR t.levels > 2)"),
    ("roads", "road", (76.85, 43.2, 77.0, 43.3), "highway IN ('residential', 'tertiary', 'secondary') AND name IS NOT NULL",
     "t.highway IN ('residential', 'tertiary', 'secondary') AND t.name IS NOT NULL"),
    ("population", "population_cell", (76.8, 43.15, 77.05, 43.35), "residents > 100",
     "t.residents > 100"),
]


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def cpu_s(pid):
    """User + system CPU seconds of one process, 0 if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def backends_cpu_s(postmaster):
    """CPU seconds of the postmaster's children (the backends serving qala's pool)."""
    if not postmaster:
        return 0.0
    kids = subprocess.run(["pgrep", "-P", str(postmaster)], capture_output=True, text=True).stdout.split()
    return sum(cpu_s(int(k)) for k in kids)


def boxes(bbox, n, jitter, seed):
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        dx, dy = rng.uniform(-jitter, jitter), rng.uniform(-jitter, jitter)
        out.append(tuple(round(v + d, 6) for v, d in zip(bbox, (dx, dy, dx, dy))))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True)
    ap.add_argument("--db-url", required=True)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--jitter", type=float, default=0.02, help="degrees a box moves between requests")
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--qala-pid", type=int, default=0)
    ap.add_argument("--postmaster-pid", type=int, default=0)
    a = ap.parse_args()
    cpu = a.qala_pid > 0
    print(f"{'collection':12} {'returned':>8} {'matched':>8} {'qala p50':>9} {'qala p95':>9} {'SQL p50':>8} {'SQL p95':>8} {'p95 ratio':>9}"
          + (f" {'qala CPU':>9} {'PG CPU':>8}" if cpu else ""))
    warm = 5
    for col, table, bbox, cql, cond in CASES:
        bbs = boxes(bbox, a.n + warm, a.jitter, a.seed)
        times, returned, matched = [], [], []
        cpu0 = None
        for i, b in enumerate(bbs):
            if i == warm:
                cpu0 = (cpu_s(a.qala_pid), backends_cpu_s(a.postmaster_pid)) if cpu else None
            url = (f"{a.base}/collections/{col}/items?limit=1000&bbox={','.join(map(str, b))}"
                   f"&filter={urllib.parse.quote(cql)}")
            t0 = time.perf_counter()
            with urllib.request.urlopen(url) as r:
                body = r.read()
            if i >= warm:
                times.append((time.perf_counter() - t0) * 1000)
                page = json.loads(body)
                returned.append(page["numberReturned"])
                matched.append(page["numberMatched"])
        per_req = ""
        if cpu0:
            q_ms = (cpu_s(a.qala_pid) - cpu0[0]) * 1000 / len(times)
            pg_ms = (backends_cpu_s(a.postmaster_pid) - cpu0[1]) * 1000 / len(times)
            per_req = f" {q_ms:7.2f}ms {pg_ms:6.2f}ms"
        vid = subprocess.run(["psql", a.db_url, "-tAc",
                              f"SELECT current_version_id FROM layer WHERE slug = '{col}'"],
                             capture_output=True, text=True).stdout.strip()
        sqls = [(f"SELECT json_build_object('type','Feature','id',t.{table}_id,'geometry',ST_AsGeoJSON(t.geom, 9)::json,'properties',t.props)::text "
                 f"FROM {table} t WHERE t.layer_version_id = {vid or 0} AND ST_Intersects(t.geom, ST_MakeEnvelope({x0},{y0},{x1},{y1},4326)) AND {cond} "
                 f"ORDER BY t.{table}_id LIMIT 1000") for x0, y0, x1, y1 in bbs]
        script = "\\timing on\n" + ";\n".join(sqls) + ";\n"
        out = subprocess.run(["psql", a.db_url, "-qAt", "-o", "/dev/null"], input=script, capture_output=True, text=True).stdout
        sql_ms = [float(l.split()[1]) for l in out.splitlines() if l.startswith("Time:")][warm:]
        if not sql_ms:
            sql_ms = [float("nan")]
        print(f"{col:12} {median(returned):8} {median(matched):8} {pct(times,50):8.1f}ms {pct(times,95):8.1f}ms "
              f"{pct(sql_ms,50):7.1f}ms {pct(sql_ms,95):7.1f}ms {pct(times,95)/pct(sql_ms,95):8.2f}x{per_req}")


def median(xs):
    return pct(xs, 50) if xs else 0


if __name__ == "__main__":
    main()
