#!/usr/bin/env python3
"""The fleet of deploy/fleet.sh under load, 127.0.0.1 only, bounded in count and time.

1 vs 3 qala replicas behind nginx: cold tiles (never asked for before: nginx and qala both
cut or fetch them) and hot tiles (nginx's cache) at z14 and z16, req/s and p99; the tile
cache hit ratio from nginx's $upstream_cache_status; upload-to-visible-on-every-replica
time (each replica's /readyz lists the versions it holds); requests failed while one
replica is killed (SIGKILL) mid-load. Writes bench/fleet/results-<date>.txt.
"""
import datetime
import json
import math
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FLEET = os.path.join(REPO, "deploy", "fleet.sh")
FLEET_DIR = os.environ.get("FLEET_DIR", os.path.join(REPO, ".fleet"))
NGINX = "http://127.0.0.1:18080"
PORTS = [18081, 18082, 18083]
LAYERS = os.environ.get("FLEET_LAYERS", "buildings,roads")
CENTRE = (76.9455, 43.238)
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = []


def say(line=""):
    print(line, flush=True)
    OUT.append(line)


def fleet(*args):
    subprocess.run([FLEET, *args], check=True)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def get(url, data=None, headers=None, method=None):
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with OPENER.open(req, timeout=30) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def tile_of(z, lon, lat):
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def grid(z, nx, ny):
    cx, cy = tile_of(z, *CENTRE)
    return [(z, cx - nx // 2 + i, cy - ny // 2 + j) for j in range(ny) for i in range(nx)]


def tile_prefix():
    s, _, body = get(f"{NGINX}/tiles/{LAYERS}.json")
    assert s == 200, body
    url = json.loads(body)["tiles"][0]
    return url[len(NGINX):].split("{z}")[0]


def write_paths(name, paths):
    p = os.path.join(FLEET_DIR, f"bench-{name}.txt")
    with open(p, "w") as f:
        f.write("\n".join(paths) + "\n")
    return p


def wrk(script, paths_file, seconds, conns=16, threads=2):
    env = dict(os.environ, PATHS=paths_file, GZIP="1", THREADS=str(threads))
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{conns}", f"-d{seconds}s", "--timeout", "10s",
         "-s", os.path.join(HERE, script), NGINX],
        env=env, capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    line = next(l for l in out.splitlines() if l.startswith("RESULT"))
    n, us, p50, p99, sock, bad = line.split()[1:]
    return {"requests": int(n), "rps": int(n) / (int(us) / 1e6), "p50": float(p50), "p99": float(p99),
            "socket_errors": int(sock), "bad": int(bad)}


def log_lines():
    with open(os.path.join(FLEET_DIR, "nginx", "logs", "access.log")) as f:
        return f.readlines()


def parse(line):
    """msec, status, cache status, request time s, bytes, upstream addrs, upstream statuses, request."""
    q = line.split('"')
    if len(q) < 7:
        return None
    head = q[0].split()
    return {"t": float(head[0]), "status": int(head[1]), "cache": head[2], "rt": float(head[3]),
            "bytes": int(head[4]), "addr": q[1], "ustatus": q[3], "req": q[5]}


def tile_entries(lines):
    out = []
    for l in lines:
        e = parse(l)
        if e and e["req"].startswith("GET /tiles/") and e["req"].endswith(".mvt"):
            out.append(e)
    return out


def cache_counts(entries):
    c = {}
    for e in entries:
        c[e["cache"]] = c.get(e["cache"], 0) + 1
    return c


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))] if xs else float("nan")


def flush_log():
    # nginx flushes its buffered access log every second.
    time.sleep(1.5)


def tiles_bench():
    prefix = tile_prefix()
    say(f"layers {LAYERS}, versioned prefix {prefix}")
    sets = {}
    for z, nx, ny in [(14, 20, 16), (16, 80, 60)]:
        g = grid(z, nx, ny)
        # Checkerboard halves: the two runs ask for tiles of the same density.
        sets[(z, 1)] = [t for t in g if (t[1] + t[2]) % 2 == 0]
        sets[(z, 3)] = [t for t in g if (t[1] + t[2]) % 2 == 1]
    say("")
    say("| replicas | zoom | tiles | cold req/s (qala cuts, nginx MISS) | cold p50 / p99 ms | hot req/s | hot p50 / p99 ms | cache hits (hot pass) | failed |")
    say("|---|---|---|---|---|---|---|---|---|")
    for n in (1, 3):
        fleet("nginx-upstreams", str(n))
        time.sleep(1)
        for z in (14, 16):
            paths = [f"{prefix}{z}/{x}/{y}.mvt" for (z, x, y) in sets[(z, n)]]
            pf = write_paths(f"z{z}-r{n}", paths)
            flush_log()
            before = len(log_lines())
            # wrk cannot stop once the list is done: the cold pass is every tile once, then
            # the last ones again (cache hits) until the time is up; its figures are those of
            # the MISS lines of nginx's log (the tiles cut by qala).
            cold = wrk("once.lua", pf, 20)
            flush_log()
            mid = len(log_lines())
            hot = wrk("loop.lua", pf, 8, conns=32)
            flush_log()
            lines = log_lines()
            miss = [e for e in tile_entries(lines[before:mid]) if e["cache"] == "MISS"]
            span = max(e["t"] for e in miss) - min(e["t"] - e["rt"] for e in miss)
            cold_rps = len(miss) / span
            rts = [e["rt"] * 1000 for e in miss]
            nonempty = sum(1 for e in miss if e["bytes"] > 0)
            mean_kb = sum(e["bytes"] for e in miss) / max(1, nonempty) / 1024
            hc = cache_counts(tile_entries(lines[mid:]))
            hits = hc.get("HIT", 0) / max(1, sum(hc.values()))
            failed = cold["bad"] + cold["socket_errors"] + hot["bad"] + hot["socket_errors"]
            say(f"| {n} | {z} | {len(paths)} ({nonempty} not empty, {mean_kb:.1f} KB gzip) | {cold_rps:.0f} | {pct(rts, 0.5):.1f} / {pct(rts, 0.99):.1f} | "
                f"{hot['rps']:.0f} | {hot['p50']:.1f} / {hot['p99']:.1f} | {hits:.1%} | {failed} |")
    fleet("nginx-upstreams", "3")


def lanes(k):
    feats = []
    for i in range(5):
        y = 43.23 + i * 0.002
        x = 76.90 + k * 0.0005
        feats.append({"type": "Feature", "properties": {"name": f"probe {k}.{i}", "status": "planned", "facility": "protected"},
                      "geometry": {"type": "LineString", "coordinates": [[x, y], [x + 0.01, y]]}})
    return json.dumps({"type": "FeatureCollection", "features": feats}).encode()


def multipart(name, content):
    b = "qalaFleetBench"
    body = (f"--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
            f"Content-Type: application/geo+json\r\n\r\n").encode() + content + f"\r\n--{b}--\r\n".encode()
    return f"multipart/form-data; boundary={b}", body


def held(port):
    s, _, body = get(f"http://127.0.0.1:{port}/readyz")
    return {l["slug"]: l["layer_version_id"] for l in json.loads(body).get("layers", [])}


def psql_primary(sql):
    url = subprocess.run([FLEET, "url", "primary"], capture_output=True, text=True, check=True).stdout.strip()
    return subprocess.run(["/usr/lib/postgresql/15/bin/psql", url, "-Atqc", sql],
                          capture_output=True, text=True, check=True).stdout.strip()


def upload_bench(qala_bin):
    url = subprocess.run([FLEET, "url", "primary"], capture_output=True, text=True, check=True).stdout.strip()
    token = subprocess.run([qala_bin, "-q", "token", "create", "--role", "admin"], env=dict(os.environ, DATABASE_URL=url),
                           capture_output=True, text=True, check=True).stdout.strip()
    say("")
    say("| upload | response ms | replicas holding it when checked just after the response (after a database look-up of the version id) | visible on all 3 ms | TileJSON via nginx names it ms |")
    say("|---|---|---|---|---|")
    everywhere = []
    base = int(time.time()) % 50
    for k in range(6):
        ct, body = multipart(f"probe-{k}.geojson", lanes(base + k))
        t0 = time.monotonic()
        s, _, rb = get(f"{NGINX}/layers/fleet-probe/versions?kind=bike_lane", data=body,
                       headers={"content-type": ct, "authorization": f"Bearer {token}"}, method="POST")
        t_resp = time.monotonic() - t0
        assert s in (200, 201), rb
        v = int(psql_primary("SELECT current_version_id FROM layer WHERE slug = 'fleet-probe'"))
        at_resp = sum(1 for p in PORTS if held(p).get("fleet-probe") == v)
        seen = {}
        tj = None
        deadline = time.monotonic() + 30
        while (len(seen) < len(PORTS) or tj is None) and time.monotonic() < deadline:
            for p in PORTS:
                if p not in seen and held(p).get("fleet-probe") == v:
                    seen[p] = time.monotonic() - t0
            if tj is None:
                _, _, b = get(f"{NGINX}/tiles/fleet-probe.json")
                if f"fleet-probe@{v}/" in json.loads(b)["tiles"][0]:
                    tj = time.monotonic() - t0
            time.sleep(0.005)
        all_ms = max(seen.values()) * 1000 if len(seen) == len(PORTS) else float("nan")
        everywhere.append(all_ms)
        say(f"| {k + 1} (version {v}) | {t_resp * 1000:.0f} | {at_resp} of 3 | {all_ms:.0f} | {(tj or float('nan')) * 1000:.0f} |")
    say(f"median visible-everywhere {statistics.median(everywhere):.0f} ms, max {max(everywhere):.0f} ms")


def kill_bench():
    prefix = tile_prefix()
    z15 = [f"{prefix}{z}/{x}/{y}.mvt" for (z, x, y) in grid(15, 40, 30)]
    # Tiles (cold then hot), TileJSON (never cached: revalidated at a replica every time) and
    # items pages (a replica and the primary): a third each.
    mixed = []
    for i, t in enumerate(z15):
        mixed += [t, f"/tiles/{LAYERS}.json", f"/collections/services/items?limit={1 + i % 10}"]
    pf = write_paths("kill", mixed)
    flush_log()
    before = len(log_lines())
    result = {}
    th = threading.Thread(target=lambda: result.update(wrk("loop.lua", pf, 12, conns=16)))
    th.start()
    time.sleep(4)
    fleet("kill", "1")
    killed_at = time.time()
    th.join()
    flush_log()
    entries = [e for e in map(parse, log_lines()[before:]) if e]
    s5 = sum(1 for e in entries if e["status"] >= 500)
    s4 = sum(1 for e in entries if 400 <= e["status"] < 500)
    retried = sum(1 for e in entries if "," in e["addr"])
    slow = sum(1 for e in entries if e["rt"] > 1.0)
    r = result
    say("")
    say(f"kill -9 of replica 1 at 4 s of a 12 s load (16 connections, tiles + TileJSON + items through nginx):")
    say(f"  requests {r['requests']} ({r['rps']:.0f}/s, p99 {r['p99']:.1f} ms); responses >= 400 seen by the client: {r['bad']}; "
        f"socket errors: {r['socket_errors']}; in nginx's log: 5xx {s5}, 4xx {s4}, passed on to a second replica {retried}, slower than 1 s {slow}")
    fleet("restart", "1")
    say(f"  replica 1 restarted and ready again {time.time() - killed_at:.1f} s after the kill")


def main():
    qala_bin = os.environ.get("QALA_BIN") or os.path.join(REPO, "target", "release", "qala")
    if not os.path.exists(qala_bin):
        qala_bin = os.path.join(REPO, "target", "debug", "qala")
    date = datetime.date.today().isoformat()
    say(f"# fleet bench {date}: deploy/fleet.sh (PostgreSQL 15 primary + streaming replica, 3 x qala serve, nginx)")
    say(f"qala binary {qala_bin}; machine {os.cpu_count()} cores (shared with other work); load from wrk on the same machine")
    say(f"held layers: {held(PORTS[0])}")
    tiles_bench()
    upload_bench(qala_bin)
    kill_bench()
    out = os.path.join(HERE, f"results-{date}.txt")
    with open(out, "w") as f:
        f.write("\n".join(OUT) + "\n")
    print(f"written {out}")


if __name__ == "__main__":
    sys.exit(main())
