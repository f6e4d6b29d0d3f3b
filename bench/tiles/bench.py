#!/usr/bin/env python3
"""qala vs martin: cold (caches off) and hot (caches on, Accept-Encoding: gzip) tile serving
from the same PostGIS tables, same tile list z10-z16 over Almaty. Prints req/s, p50/p99 and
the largest tile per zoom per server, with ratios. Started by run.sh."""
import argparse
import math
import os
import signal
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
# The dense part of the synthetic city, around Republic Square.
CORE = (76.85, 43.18, 77.05, 43.32)
CENTRE = (76.9455, 43.2380)
ZOOMS = range(10, 17)
PER_ZOOM = 48
# Sources (qala layer slugs); martin serves the same rows from the <table>_current views.
SOURCES = {
    "buildings": ("building_current", "building_id", "MULTIPOLYGON", {"building": "text", "levels": "int8"}),
    "tree-plantings": ("tree_planting_current", "tree_planting_id", "POINT",
                       {"trees_planted": "int8", "species": "text", "planted_on": "date"}),
}


def tile_of(z, lon, lat):
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def tiles():
    out = {}
    for z in ZOOMS:
        x0, y1 = tile_of(z, CORE[0], CORE[1])
        x1, y0 = tile_of(z, CORE[2], CORE[3])
        cx, cy = tile_of(z, *CENTRE)
        ts = [(x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
        ts.sort(key=lambda t: ((t[0] - cx) ** 2 + (t[1] - cy) ** 2, t))
        out[z] = ts[:PER_ZOOM]
    return out


def wait_up(url, proc, limit_s=900):
    start = time.time()
    while time.time() - start < limit_s:
        if proc.poll() is not None:
            sys.exit(f"server exited early ({proc.returncode}); see its log")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status < 500:
                    return time.time() - start
        except Exception:
            time.sleep(0.5)
    sys.exit(f"{url} did not come up in {limit_s} s")


def stop(proc):
    if proc and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


def martin_config(path, db_url, cache_mb, port):
    lines = [f"listen_addresses: '127.0.0.1:{port}'", f"cache_size_mb: {cache_mb}", "postgres:",
             f"  connection_string: '{db_url}'", "  pool_size: 8", "  auto_publish: false", "  tables:"]
    for sid, (table, idc, gtype, props) in SOURCES.items():
        lines += [f"    {sid}:", "      schema: public", f"      table: {table}", "      srid: 4326",
                  "      geometry_column: geom", f"      geometry_type: {gtype}", f"      id_column: {idc}",
                  "      properties:"] + [f"        {k}: {v}" for k, v in props.items()]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def start(name, args, hot):
    qala, martin, db_url, work = args.qala, args.martin, args.db_url, args.work
    log = open(os.path.join(work, f"{name}-{'hot' if hot else 'cold'}.log"), "w")
    if name == "qala":
        port = 18431
        cmd = [qala, "serve", "--listen", f"127.0.0.1:{port}", "--web-dir", "/nonexistent"]
        if not hot:
            cmd.append("--no-tile-cache")
        env = dict(os.environ, DATABASE_URL=db_url, QALA_LOG="warn")
        t0 = time.time()
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=log)
        up = wait_up(f"http://127.0.0.1:{port}/health", proc)
        # qala listens at once and loads its layers (then the indicator engine) in the
        # background: wait until /readyz says all of it is in memory
        for _ in range(600):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=30) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            time.sleep(0.5)
        up = time.time() - t0
        return proc, f"http://127.0.0.1:{port}", lambda z, x, y: f"/tiles/{','.join(SOURCES)}/{z}/{x}/{y}.mvt", up
    port = 18432
    cfg = os.path.join(work, "martin.yaml")
    martin_config(cfg, db_url, 512 if hot else 0, port)
    proc = subprocess.Popen([martin, "--config", cfg], stdout=log, stderr=log)
    up = wait_up(f"http://127.0.0.1:{port}/health", proc)
    return proc, f"http://127.0.0.1:{port}", lambda z, x, y: f"/{','.join(SOURCES)}/{z}/{x}/{y}", up


def quiesce(db_url, limit_s=60):
    """Cancels queries still running in the bench database (wrk gives up on a request after
    its window; martin's PostgreSQL query goes on and would slow the next zoom) and waits
    until none is left, so each zoom starts from an idle database. qala runs none."""
    sql = ("SELECT count(pg_cancel_backend(pid)) FROM pg_stat_activity WHERE datname = current_database()"
           " AND state = 'active' AND pid <> pg_backend_pid()")
    start = time.time()
    while time.time() - start < limit_s:
        out = subprocess.run(["psql", db_url, "-Atqc", sql], capture_output=True, text=True).stdout.strip()
        if out in ("0", ""):
            return
        time.sleep(0.5)


def largest(base, path_of, tl):
    sizes = {}
    for z, ts in tl.items():
        m = 0
        for x, y in ts:
            req = urllib.request.Request(base + path_of(z, x, y))
            with urllib.request.urlopen(req, timeout=600) as r:
                m = max(m, len(r.read()))
        sizes[z] = m
    return sizes


def wrk(base, paths_file, gzip, seconds, conns):
    env = dict(os.environ, PATHS=paths_file, GZIP="1" if gzip else "0")
    out = subprocess.run(["wrk", "-t2", f"-c{conns}", f"-d{seconds}s", "--timeout", "30s",
                          "-s", os.path.join(HERE, "paths.lua"), base],
                         env=env, capture_output=True, text=True, check=True).stdout
    line = [l for l in out.splitlines() if l.startswith("RESULT")][0].split()
    reqs, dur_us, p50, p99, errs = int(line[1]), int(line[2]), float(line[3]), float(line[4]), int(line[5])
    return {"rps": reqs / (dur_us / 1e6), "p50": p50, "p99": p99, "errors": errs, "requests": reqs}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--qala", required=True)
    ap.add_argument("--martin", required=True)
    ap.add_argument("--db-url", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--seconds", type=int, default=8, help="wrk duration per zoom and phase")
    ap.add_argument("--conns", type=int, default=8)
    ap.add_argument("--zooms", default="10-16", help="zooms to measure, e.g. 14-16 (default 10-16)")
    ap.add_argument("--phases", default="cold,hot", help="cold (caches off), hot (caches on), or both")
    args = ap.parse_args()
    lo, _, hi = args.zooms.partition("-")
    global ZOOMS
    ZOOMS = range(int(lo), int(hi or lo) + 1)
    phases = [p for p in (("cold", False), ("hot", True)) if p[0] in args.phases.split(",")]
    tl = tiles()
    results = {}
    sizes = {}
    for phase, hot in phases:
        for name in ("qala", "martin"):
            proc, base, path_of, up = start(name, args, hot)
            print(f"== {name} {phase}: up in {up:.1f} s", flush=True)
            try:
                if not hot:
                    sizes[name] = largest(base, path_of, tl)
                else:
                    for z, ts in tl.items():  # warm the cache: one pass, gzip
                        for x, y in ts:
                            req = urllib.request.Request(base + path_of(z, x, y), headers={"Accept-Encoding": "gzip"})
                            urllib.request.urlopen(req, timeout=600).read()
                for z, ts in tl.items():
                    quiesce(args.db_url)
                    pf = os.path.join(args.work, f"paths-{name}-{z}.txt")
                    with open(pf, "w") as f:
                        f.write("\n".join(path_of(z, x, y) for x, y in ts) + "\n")
                    r = wrk(base, pf, hot, args.seconds, args.conns)
                    results[(name, phase, z)] = r
                    print(f"   z{z}: {r['rps']:9.1f} req/s  p50 {r['p50']:8.2f} ms  p99 {r['p99']:8.2f} ms"
                          f"  ({r['requests']} requests, {r['errors']} errors)", flush=True)
            finally:
                stop(proc)
    print()
    print(f"qala vs martin, sources {','.join(SOURCES)}, {PER_ZOOM} tiles per zoom around Republic Square;"
          f" wrk -t2 -c{args.conns} {args.seconds}s per zoom; 2 shared cores (wrk, both servers and PostgreSQL"
          " on the same machine; other work running)")
    for phase, label in (("cold", "caches off, identity"), ("hot", "caches on, Accept-Encoding: gzip")):
        if phase not in dict(phases):
            continue
        print(f"\n{label}")
        print(f"{'zoom':>4} | {'qala req/s':>10} {'p50 ms':>8} {'p99 ms':>8} | {'martin req/s':>12} {'p50 ms':>8} {'p99 ms':>8} | {'ratio':>7}")
        for z in ZOOMS:
            q, m = results[("qala", phase, z)], results[("martin", phase, z)]
            ratio = q["rps"] / m["rps"] if m["rps"] else float("inf")
            print(f"{z:>4} | {q['rps']:10.1f} {q['p50']:8.2f} {q['p99']:8.2f} | {m['rps']:12.1f} {m['p50']:8.2f} {m['p99']:8.2f} | {ratio:6.1f}x")
    if not sizes:
        return
    print("\nlargest tile (bytes, uncompressed)")
    print(f"{'zoom':>4} | {'qala':>10} | {'martin':>10}")
    for z in ZOOMS:
        print(f"{z:>4} | {sizes['qala'][z]:10d} | {sizes['martin'][z]:10d}")


if __name__ == "__main__":
    main()
