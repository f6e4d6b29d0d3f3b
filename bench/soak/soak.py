#!/usr/bin/env python3
"""Soak driver for `qala serve` (issue 11), standard library only; started by run.sh.

Owns the server process (start, RSS sampling, kill -9, restart) and the faults (one
PostgreSQL restart at 1/3 of the run, one kill -9 at 2/3), drives a bounded mix of reads
from a few threads and uploads/rollbacks of one layer from one writer thread, then checks
that no acknowledged version was lost and writes the report. Tokens and the database URL
come from the environment (SOAK_ADMIN_TOKEN, SOAK_MAPPER_TOKEN, DATABASE_URL), never argv.
"""
import argparse
import hashlib
import json
import math
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import soak_report  # beside this file

# urllib honours http_proxy; the soak talks to 127.0.0.1 only.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
SLUG = "bike-lanes"
TILE_LAYERS = ["bike-lanes", "roads", "buildings", "green-spaces", "districts", "bike-lanes,green-spaces"]
ITEM_LAYERS = ["bike-lanes", "services", "green-spaces", "roads", "buildings", "tree-plantings"]
PG_GRACE_S = 5.0  # the server checks the database every second; allow it time to notice


class Soak:
    def __init__(self, a):
        self.a = a
        self.base = f"http://127.0.0.1:{a.port}"
        self.admin = os.environ["SOAK_ADMIN_TOKEN"]
        self.mapper = os.environ["SOAK_MAPPER_TOKEN"]
        self.lock = threading.Lock()
        self.records = []  # (family, status|None, error|None, t_start, t_end, code, body)
        self.rss = []  # (incarnation, t, kB)
        self.writes = []  # dicts, in order (one writer thread)
        self.events = []  # (t, text)
        self.windows = {"pg": [], "kill": []}  # [start, end] in soak seconds
        self.proc = None
        self.incarnation = 0
        self.t0 = time.monotonic()
        self.deadline = self.t0 + a.seconds
        self.stop = threading.Event()
        # A fault lands in the middle of a large upload: the fault asks for one, the writer
        # says when it is on the wire; the first write (a large upload) measures how long one takes.
        self.big_wanted = threading.Event()
        self.big_sent = threading.Event()
        self.big_duration = None

    def now(self):
        return time.monotonic() - self.t0

    def event(self, text):
        with self.lock:
            self.events.append((self.now(), text))
        print(f"[soak {self.now():7.1f}s] {text}", flush=True)

    # ---- HTTP -------------------------------------------------------------------------
    def request(self, family, path, data=None, headers=None, timeout=30.0):
        """One request, recorded. Returns (status|None, body bytes)."""
        req = urllib.request.Request(self.base + path, data=data, headers=headers or {})
        ts = self.now()
        status, err, body = None, None, b""
        try:
            with OPENER.open(req, timeout=timeout) as r:
                status, body = r.status, r.read()
        except urllib.error.HTTPError as e:
            status = e.code
            try:
                body = e.read()
            except Exception as e2:  # the body itself was cut
                err = type(e2).__name__
        except Exception as e:  # refused, reset, timed out, closed mid-response
            reason = getattr(e, "reason", None)
            err = type(reason).__name__ if isinstance(reason, BaseException) else type(e).__name__
        te = self.now()
        code = None
        if status is not None and status >= 400:
            try:
                code = json.loads(body).get("code")
            except Exception:
                code = None
        keep = body[:300].decode("utf-8", "replace") if status is not None and status >= 500 else ""
        with self.lock:
            self.records.append((family, status, err, ts, te, code, keep))
        return status, body

    # ---- the server -------------------------------------------------------------------
    def start_server(self):
        env = dict(os.environ, TMPDIR=self.a.tmpdir, QALA_LOG=os.environ.get("QALA_LOG", "info"))
        log = open(self.a.server_log, "ab")
        self.proc = subprocess.Popen(
            [self.a.qala, "serve", "--listen", f"127.0.0.1:{self.a.port}", "--web-dir", "/nonexistent"],
            stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        log.close()
        with open(self.a.pid_file, "w") as f:
            f.write(str(self.proc.pid))
        self.incarnation += 1
        self.event(f"qala serve started (pid {self.proc.pid}, incarnation {self.incarnation})")

    def health(self):
        try:
            with OPENER.open(self.base + "/health", timeout=2) as r:
                return json.loads(r.read())
        except Exception:
            return None

    def wait_health(self, pred, limit_s, what):
        end = time.monotonic() + limit_s
        while time.monotonic() < end:
            h = self.health()
            if h is not None and pred(h):
                self.event(f"{what}: {json.dumps(h, sort_keys=True)}")
                return True
            time.sleep(0.1)
        self.event(f"{what}: NOT reached within {limit_s:.0f} s")
        return False

    def rss_sampler(self):
        while not self.stop.is_set():
            p = self.proc
            try:
                with open(f"/proc/{p.pid}/status") as f:
                    m = re.search(r"VmRSS:\s+(\d+) kB", f.read())
                if m and p.poll() is None:
                    with self.lock:
                        self.rss.append((self.incarnation, self.now(), int(m.group(1))))
            except OSError:
                pass
            self.stop.wait(1.0)

    def qala_db(self, *args):
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env["QALA_HOME"] = self.a.home
        r = subprocess.run([self.a.qala, "--quiet", "db", *args], env=env, capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            self.event(f"qala db {' '.join(args)} failed ({r.returncode}): {r.stderr.strip()[-300:]}")
        return r.returncode

    # ---- faults -----------------------------------------------------------------------
    def during_big_upload(self):
        """Returns once a large upload has been on the wire for about half its usual time."""
        self.big_sent.clear()
        self.big_wanted.set()
        if self.big_sent.wait(timeout=30):
            time.sleep(min((self.big_duration or 1.0) / 2, 5.0))
            self.event(f"a large upload is in flight (one takes {self.big_duration or 0:.2f} s when undisturbed)")
        else:
            self.event("no large upload started within 30 s; the fault lands between writes")

    def restart_postgres(self):
        self.during_big_upload()
        start = self.now()
        self.event("PostgreSQL restart: qala db stop")
        self.qala_db("stop")
        self.wait_health(lambda h: h.get("database") != "ok", 10, "health while PostgreSQL is down")
        # The documented behaviour while the database is away: an upload answers 503 at once.
        with self.lock:
            op = -len(self.writes) - 1
        w = self.upload(op)
        with self.lock:
            self.writes.append(w)
        self.event(f"probe upload while PostgreSQL is down: status {w['status']} in {w['latency']:.2f} s")
        time.sleep(self.a.pg_down_s)
        self.event("PostgreSQL restart: qala db start")
        self.qala_db("start")
        back = self.now()
        self.wait_health(lambda h: h.get("database") == "ok" and h.get("status") == "ok", 60, "health after PostgreSQL is back")
        self.event(f"server saw the database again {self.now() - back:.1f} s after `qala db start` returned")
        self.windows["pg"].append([start, self.now() + PG_GRACE_S])

    def kill_server(self):
        self.during_big_upload()
        start = self.now()
        self.event(f"kill -9 qala serve (pid {self.proc.pid})")
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        time.sleep(self.a.kill_down_s)
        self.start_server()
        self.wait_health(lambda h: h.get("engine") == "ready", 180, "health after the restart")
        self.windows["kill"].append([start, self.now() + 1.0])

    # ---- load -------------------------------------------------------------------------
    def reader(self, seed):
        rnd = random.Random(seed)
        n = 0
        while time.monotonic() < self.deadline and n < self.a.max_requests_per_thread:
            n += 1
            r = rnd.random()
            if r < 0.50:
                z = rnd.randint(10, 15)
                lon, lat = rnd.uniform(76.80, 77.05), rnd.uniform(43.17, 43.32)
                x = int((lon + 180) / 360 * 2**z)
                y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * 2**z)
                st, _ = self.request("tile", f"/tiles/{rnd.choice(TILE_LAYERS)}/{z}/{x}/{y}.mvt")
            elif r < 0.78:
                lon, lat, d = rnd.uniform(76.82, 77.02), rnd.uniform(43.19, 43.30), rnd.uniform(0.005, 0.05)
                bbox = f"{lon:.5f},{lat:.5f},{lon + d:.5f},{lat + d:.5f}"
                lim = rnd.choice([10, 50, 100, 500])
                st, _ = self.request("items", f"/collections/{rnd.choice(ITEM_LAYERS)}/items?limit={lim}&bbox={bbox}")
            elif r < 0.88:
                st, _ = self.request("indicators", "/indicators/stops_500m")
            elif r < 0.97:
                st, _ = self.request("health", "/health", timeout=10)
            else:
                st, _ = self.request("metrics", "/metrics", timeout=10)
            # Back off while the server is away rather than spinning on refused connections.
            time.sleep(0.25 if st is None else self.a.think_ms / 1000)

    def upload_file(self, op, n=None):
        rnd = random.Random(op)
        feats = []
        for i in range(n or rnd.randint(2, 6)):
            lon, lat = rnd.uniform(76.85, 77.00), rnd.uniform(43.20, 43.30)
            coords = [[round(lon + k * 0.002, 6), round(lat + k * rnd.uniform(-0.002, 0.002), 6)] for k in range(3)]
            status = rnd.choice(["existing", "under_construction", "planned"])
            props = {"name": f"soak op {op} lane {i}", "status": status,
                     "facility": rnd.choice(["protected", "painted", "shared_street", "off_street_path"])}
            if status == "planned":
                props["planned_year"] = rnd.randint(2026, 2035)
            feats.append({"type": "Feature", "properties": props,
                          "geometry": {"type": "LineString", "coordinates": coords}})
        return json.dumps({"type": "FeatureCollection", "features": feats}).encode()

    def upload(self, op, big=False):
        content = self.upload_file(op, self.a.big_features if big else None)
        sha = hashlib.sha256(content).hexdigest()
        boundary = f"soak{op:08d}{random.getrandbits(48):012x}"
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"soak-{op:05d}.geojson\"\r\n"
                f"Content-Type: application/geo+json\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
        hdr = {"Authorization": f"Bearer {self.mapper}", "Content-Type": f"multipart/form-data; boundary={boundary}"}
        ts = self.now()
        if big:
            self.big_sent.set()
        st, resp = self.request("upload", f"/layers/{SLUG}/versions", body, hdr, timeout=120)
        w = {"op": op, "kind": "upload", "sha": sha, "t": ts, "status": st, "version": None, "id": None,
             "features": content.count(b'"Feature"'), "big": big, "latency": self.now() - ts}
        if st in (200, 201):
            r = json.loads(resp)
            w.update(version=r.get("version"), id=r.get("layer_version_id"), load_status=r.get("status"))
        return w

    def rollback(self, op, rnd):
        known = [w["version"] for w in self.writes if w["kind"] == "upload" and w["status"] == 201]
        current = self.expected_served_so_far()
        choices = [v for v in set(known + [1]) if v != current]
        target = rnd.choice(sorted(choices))
        hdr = {"Authorization": f"Bearer {self.admin}", "Content-Type": "application/json"}
        ts = self.now()
        st, resp = self.request("rollback", f"/layers/{SLUG}/rollback", json.dumps({"version": target}).encode(), hdr)
        w = {"op": op, "kind": "rollback", "target": target, "t": ts, "status": st, "version": None,
             "latency": self.now() - ts}
        if st == 200:
            w["version"] = json.loads(resp).get("version")
        return w

    def expected_served_so_far(self):
        for w in reversed(self.writes):
            if w["status"] in (200, 201) and w["version"] is not None:
                return w["version"]
        return 1

    def writer(self):
        rnd = random.Random(self.a.seed)
        op = 0
        while time.monotonic() < self.deadline and op < self.a.max_writes:
            op += 1
            if op == 1 or self.big_wanted.is_set():
                self.big_wanted.clear()
                w = self.upload(op, big=True)
                if op == 1 and w["status"] == 201:
                    self.big_duration = w["latency"]
            elif op % 4 == 0 and op > 4:
                w = self.rollback(op, rnd)
            else:
                w = self.upload(op)
            with self.lock:
                self.writes.append(w)
            time.sleep(0.25 if w["status"] is None else self.a.write_every_s)

    # ---- run --------------------------------------------------------------------------
    def run(self):
        self.start_server()
        if not self.wait_health(lambda h: h.get("engine") == "ready", 180, "health at start"):
            raise SystemExit("qala serve did not become ready")
        self.t0 = time.monotonic()
        self.deadline = self.t0 + self.a.seconds
        with self.lock:
            self.rss.clear()
        threads = [threading.Thread(target=self.rss_sampler, daemon=True)]
        threads += [threading.Thread(target=self.reader, args=(self.a.seed * 100 + i,)) for i in range(self.a.readers)]
        threads.append(threading.Thread(target=self.writer))
        for t in threads:
            t.start()
        faults = [(self.a.seconds / 3, self.restart_postgres), (2 * self.a.seconds / 3, self.kill_server)]
        for at, fault in faults:
            while self.now() < at and time.monotonic() < self.deadline:
                time.sleep(0.2)
            if time.monotonic() < self.deadline:
                fault()
        for t in threads[1:]:
            t.join(timeout=self.a.seconds + 300)
        time.sleep(1.5)  # a last RSS sample after the load
        self.stop.set()
        threads[0].join(timeout=5)
        self.event(f"load finished: {len(self.records)} requests, {len(self.writes)} writes")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--qala", required=True)
    p.add_argument("--home", required=True, help="QALA_HOME of the soak cluster")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--seconds", type=float, default=600)
    p.add_argument("--readers", type=int, default=4)
    p.add_argument("--think-ms", type=float, default=20)
    p.add_argument("--write-every-s", type=float, default=2.0)
    p.add_argument("--pg-down-s", type=float, default=8.0)
    p.add_argument("--kill-down-s", type=float, default=2.0)
    p.add_argument("--max-requests-per-thread", type=int, default=200_000)
    p.add_argument("--max-writes", type=int, default=2_000)
    p.add_argument("--big-features", type=int, default=20_000, help="lines in the upload a fault interrupts")
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--tmpdir", required=True)
    p.add_argument("--server-log", required=True)
    p.add_argument("--pid-file", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--header", default="")
    a = p.parse_args()
    s = Soak(a)
    shutdown_s = None
    try:
        s.run()
        report = soak_report.Report(s)
        report.verify()  # needs the server and the database
    finally:
        if s.proc is not None and s.proc.poll() is None:
            t = time.monotonic()
            s.proc.terminate()
            try:
                s.proc.wait(timeout=10)
                shutdown_s = time.monotonic() - t
            except subprocess.TimeoutExpired:
                s.event("qala serve did not stop within 10 s of SIGTERM; kill -9")
                s.proc.kill()
                s.proc.wait()
    text, failed = report.render(shutdown_s)
    with open(a.out, "w") as f:
        f.write(a.header + text)
    print(a.header + text)
    sys.exit(failed)


if __name__ == "__main__":
    main()
