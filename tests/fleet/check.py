#!/usr/bin/env python3
"""Checks a running fleet (deploy/fleet.sh start): what docs/scale.md promises of it.

Run by tests/fleet/run.sh, which starts and stops the fleet. Standard library only;
127.0.0.1 only; every wait is bounded. Exits non-zero with the reason on the first broken
promise.
"""
import json
import math
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FLEET = os.path.join(REPO, "deploy", "fleet.sh")
QALA = os.environ["QALA_BIN"]
NGINX = "http://127.0.0.1:18080"
PORTS = [18081, 18082, 18083]
SLUG = "fleet-test-lanes"
FLEET_DIR = os.environ["FLEET_DIR"]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def get(url, data=None, headers=None, method=None, timeout=30):
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with OPENER.open(req, timeout=timeout) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def check(cond, what):
    if not cond:
        print(f"tests/fleet: FAILED: {what}", file=sys.stderr)
        sys.exit(1)
    print(f"ok: {what}")


def primary_url():
    return subprocess.run([FLEET, "url", "primary"], capture_output=True, text=True, check=True).stdout.strip()


def psql(sql):
    return subprocess.run(["psql", primary_url(), "-Atqc", sql], capture_output=True, text=True, check=True).stdout.strip()


def held(port):
    """The layer versions a replica holds in memory (its /readyz)."""
    try:
        _, _, body = get(f"http://127.0.0.1:{port}/readyz", timeout=5)
        return {l["slug"]: l["layer_version_id"] for l in json.loads(body).get("layers", [])}
    except (OSError, ValueError):
        return {}


def served():
    rows = psql("SELECT slug, current_version_id FROM layer WHERE current_version_id IS NOT NULL AND visibility = 'public'")
    return {s: int(v) for s, v in (r.split("|") for r in rows.splitlines())}


def lanes(k):
    feats = []
    for i in range(5):
        y = 43.23 + i * 0.002
        x = 76.90 + k * 0.0005
        feats.append({"type": "Feature", "properties": {"name": f"fleet test {k}.{i}", "status": "planned", "facility": "protected"},
                      "geometry": {"type": "LineString", "coordinates": [[x, y], [x + 0.01, y]]}})
    return json.dumps({"type": "FeatureCollection", "features": feats}).encode()


def upload(base, token, k):
    b = "qalaFleetTest"
    body = (f"--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"lanes-{k}.geojson\"\r\n"
            f"Content-Type: application/geo+json\r\n\r\n").encode() + lanes(k) + f"\r\n--{b}--\r\n".encode()
    s, _, rb = get(f"{base}/layers/{SLUG}/versions?kind=bike_lane", data=body, method="POST",
                   headers={"content-type": f"multipart/form-data; boundary={b}", "authorization": f"Bearer {token}"})
    check(s in (200, 201), f"upload {k} through {base} answers 201 (got {s}: {rb[:200]!r})")
    return int(psql(f"SELECT current_version_id FROM layer WHERE slug = '{SLUG}'"))


def tile_path(z, lon, lat):
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return f"{z}/{x}/{y}"


def replica_marked_down(i):
    with open(os.path.join(FLEET_DIR, "nginx", "nginx.conf")) as f:
        return f"127.0.0.1:{PORTS[i]} max_fails=1 fail_timeout=2s down;" in f.read()


def wait_for(cond, limit_s=10):
    end = time.time() + limit_s
    while time.time() < end:
        if cond():
            return True
        time.sleep(0.2)
    return False


def main():
    want = served()
    for p in PORTS:
        h = held(p)
        check(all(h.get(s) == v for s, v in want.items()), f"replica :{p} holds every served version of the primary ({len(want)} layers)")

    token = subprocess.run([QALA, "-q", "token", "create", "--role", "admin"], env=dict(os.environ, DATABASE_URL=primary_url()),
                           capture_output=True, text=True, check=True).stdout.strip().split()[-1]

    # The writer reads its own write: the replica that took the upload holds it when it answers.
    v1 = upload(f"http://127.0.0.1:{PORTS[0]}", token, 1)
    check(held(PORTS[0]).get(SLUG) == v1, f"the writer :{PORTS[0]} holds version {v1} when its answer arrives")

    # Through nginx: every replica holds the new version soon after (docs: median 136 ms).
    v2 = upload(NGINX, token, 2)
    t0 = time.monotonic()
    seen = {}
    while len(seen) < len(PORTS) and time.monotonic() - t0 < 15:
        for p in PORTS:
            if p not in seen and held(p).get(SLUG) == v2:
                seen[p] = time.monotonic() - t0
        time.sleep(0.01)
    check(len(seen) == len(PORTS), f"every replica holds version {v2} (after {max(seen.values(), default=float('nan')) * 1000:.0f} ms)")
    _, _, tj = get(f"{NGINX}/tiles/{SLUG}.json")
    url = json.loads(tj)["tiles"][0]
    check(f"/tiles/{SLUG}@{v2}/" in url, f"TileJSON through nginx names version {v2}: {url}")
    s, _, items = get(f"{NGINX}/collections/{SLUG}/items?limit=10")
    check(s == 200 and json.loads(items).get("numberMatched") == 5, "items through nginx: the 5 lanes of the new version")

    # A versioned tile: cut once by a replica, then served by nginx's cache, same bytes.
    path = f"/tiles/{SLUG}@{v2}/{tile_path(15, 76.905, 43.234)}.mvt"
    s1, h1, b1 = get(NGINX + path)
    s2, h2, b2 = get(NGINX + path)
    _, _, direct = get(f"http://127.0.0.1:{PORTS[2]}{path}")
    check(s1 == 200 and len(b1) > 0, f"{path} through nginx: 200 with {len(b1)} bytes")
    check(h1.get("cache-control", "").endswith("immutable"), f"a versioned tile is immutable: {h1.get('cache-control')}")
    check(h1.get("x-cache-status") in ("MISS", "EXPIRED") and h2.get("x-cache-status") == "HIT",
          f"cut once, then nginx's cache answers (X-Cache-Status {h1.get('x-cache-status')} then {h2.get('x-cache-status')})")
    check(s2 == 200 and b1 == b2 == direct, "the cached bytes are the replica's bytes")
    # The old version's URL never serves the new tile: a redirect to the current one.
    s, h, _ = get(f"{NGINX}/tiles/{SLUG}@{v1}/{tile_path(15, 76.905, 43.234)}.mvt")
    check(s == 302 and f"@{v2}/" in h.get("location", ""), f"version {v1}'s URL redirects to version {v2}'s ({s})")

    # One replica killed under load: no request fails beyond those nginx passes on.
    paths = []
    for i in range(200):
        paths.append(f"/tiles/buildings,roads/{tile_path(16, 76.90 + (i % 20) * 0.004, 43.22 + (i // 20) * 0.003)}.mvt")
        paths.append(f"/tiles/{SLUG}.json")
        paths.append(f"/collections/services/items?limit={1 + i % 10}")
    results = []
    stop = threading.Event()

    def load(offset):
        i = offset
        while not stop.is_set():
            p = paths[i % len(paths)]
            try:
                s, _, _ = get(NGINX + p, timeout=10)
            except OSError as e:
                s = f"error {e}"
            results.append((p, s))
            i += 7

    threads = [threading.Thread(target=load, args=(k * 31,)) for k in range(4)]
    for t in threads:
        t.start()
    time.sleep(2)
    subprocess.run([FLEET, "kill", "1"], check=True)
    time.sleep(4)
    stop.set()
    for t in threads:
        t.join()
    bad = [(p, s) for p, s in results if s not in (200, 304)]
    check(len(results) > 50 and not bad, f"{len(results)} requests through nginx while replica 1 was killed: none failed {bad[:5]}")
    # The active health check took it out of nginx's upstreams.
    check(wait_for(lambda: replica_marked_down(1)), "the health loop marked the killed replica down in nginx's upstreams")

    # The killed replica comes back, holds the same versions as the others, and the health
    # loop puts it back.
    subprocess.run([FLEET, "restart", "1"], check=True)
    check(held(PORTS[1]) == held(PORTS[0]), "the restarted replica holds the same versions as the others")
    check(wait_for(lambda: not replica_marked_down(1)), "once ready, the health loop put the replica back")
    return 0


if __name__ == "__main__":
    sys.exit(main())
