"""Checks and the report of a soak run (see soak.py): lost versions, the served version,
5xx, connection errors by fault window, latency percentiles, RSS, the server log."""
import collections
import json
import os
import re
import subprocess
import urllib.request

OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
EXPECTED_5XX = {"pg": {"database_unavailable"}, "kill": {"database_unavailable", "engine_unavailable"}}


def pct(values, p):
    """Nearest-rank percentile of a sorted list."""
    if not values:
        return float("nan")
    k = max(0, min(len(values) - 1, int(round(p / 100 * len(values) + 0.5)) - 1))
    return values[k]


class Report:
    def __init__(self, soak):
        self.s = soak
        self.lines = []
        self.lost = []
        self.served_ok = False
        self.unexpected_5xx = []

    def window_of(self, ts, te, order=("kill", "pg")):
        """The fault whose window [start, end] overlaps [ts, te]; in a short run the windows
        may overlap, and a refused connection can only come from the kill."""
        for name in order:
            for a, b in self.s.windows[name]:
                if ts <= b and te >= a:
                    return name
        return None

    def get_json(self, path):
        req = urllib.request.Request(self.s.base + path, headers={"Authorization": f"Bearer {self.s.admin}"})
        with OPENER.open(req, timeout=30) as r:
            return json.loads(r.read())

    def db_rows(self, sql):
        out = subprocess.run(["psql", os.environ["DATABASE_URL"], "-XAtq", "-F", "|", "-c", sql],
                             capture_output=True, text=True, timeout=60, check=True).stdout
        return [line.split("|") for line in out.splitlines() if line]

    # ---- what the database and the server say at the end ---------------------------------
    def verify(self):
        s, L = self.s, self.lines
        http_versions = self.get_json("/layers/bike-lanes/versions")
        by_version = {v["version"]: v for v in http_versions}
        by_sha = {v["source_sha256"]: v for v in http_versions}
        db = {int(r[0]): r for r in self.db_rows(
            "SELECT v.version, v.layer_version_id, v.status, v.source_sha256, v.feature_count "
            "FROM layer_version v JOIN layer l USING (layer_id) WHERE l.slug = 'bike-lanes'")}
        db_current = self.db_rows(
            "SELECT v.version FROM layer l JOIN layer_version v ON v.layer_version_id = l.current_version_id "
            "WHERE l.slug = 'bike-lanes'")[0][0]
        served = self.get_json("/layers/bike-lanes")["version"]
        req = urllib.request.Request(self.s.base + "/metrics")
        with OPENER.open(req, timeout=30) as r:
            m = re.search(r"^qala_tile_cache_bytes\S*\s+(\S+)", r.read().decode(), re.M)
        self.tile_cache_mb = float(m.group(1)) / 2**20 if m else float("nan")

        uploads = [w for w in s.writes if w["kind"] == "upload"]
        acked = [w for w in uploads if w["status"] == 201]
        for w in acked:
            h, d = by_version.get(w["version"]), db.get(w["version"])
            why = []
            if h is None or h["status"] != "ready" or h["source_sha256"] != w["sha"] or h["layer_version_id"] != w["id"]:
                why.append(f"HTTP list: {json.dumps(h) if h else 'missing'}")
            if d is None or d[2] != "ready" or d[3] != w["sha"] or int(d[1]) != w["id"]:
                why.append(f"DB layer_version: {d or 'missing'}")
            if h is not None and h.get("feature_count") != w["features"]:
                why.append(f"feature_count {h.get('feature_count')} != {w['features']} uploaded")
            if why:
                self.lost.append((w, why))
        unknown = [w for w in s.writes if w["status"] is None or w["status"] >= 500]
        for w in unknown:
            if w["kind"] == "upload":
                v = by_sha.get(w["sha"])
                w["outcome"] = f"committed as version {v['version']} ({v['status']})" if v else "not committed"
                w["resolved"] = v["version"] if v and v["status"] == "ready" else None
            else:
                w["outcome"] = "rollback target " + str(w["target"])
                w["resolved"] = w["target"]

        # The served version: the last acknowledged write, or any unknown-outcome write after it.
        candidates = set()
        for w in reversed(s.writes):
            if w["status"] in (200, 201) and w["version"] is not None:
                candidates.add(w["version"])
                break
            if w in unknown and w.get("resolved") is not None:
                candidates.add(w["resolved"])
        if not candidates:
            candidates.add(1)
        self.served_ok = served in candidates and int(db_current) in candidates
        # What a user sees: the items of the layer are those of the served version.
        items = self.get_json("/collections/bike-lanes/items?limit=10000")
        want = by_version.get(served, {}).get("feature_count")
        if want is None or items.get("numberReturned") != min(want, 10000):  # one page at most
            self.served_ok = False
        L_items = f"items served: {items.get('numberReturned')} features; the served version has {want}"

        statuses = collections.Counter(v["status"] for v in http_versions)
        L.append("== Versions of bike-lanes")
        L.append(f"writes: {len(uploads)} uploads ({len(acked)} acknowledged 201, "
                 f"{sum(1 for w in uploads if w['status'] is not None and w['status'] < 500 and w['status'] != 201)} other 2xx/4xx, "
                 f"{sum(1 for w in uploads if w in unknown)} 5xx or no response), "
                 f"{sum(1 for w in s.writes if w['kind'] == 'rollback')} rollbacks "
                 f"({sum(1 for w in s.writes if w['kind'] == 'rollback' and w['status'] == 200)} acknowledged 200)")
        db_statuses = collections.Counter(r[2] for r in db.values())
        L.append(f"versions listed over HTTP: {len(http_versions)} ({dict(statuses)}); "
                 f"in the DB layer_version: {len(db)} ({dict(db_statuses)})")
        L.append(f"LOST VERSIONS: {len(self.lost)}")
        for w, why in self.lost:
            L.append(f"  op {w['op']} version {w['version']} (id {w['id']}, t={w['t']:.1f}s): " + "; ".join(why))
        L.append(f"unknown outcome (5xx or no response): {len(unknown)}")
        for w in unknown:
            win = self.window_of(w["t"], w["t"] + w["latency"])
            L.append(f"  op {w['op']} {w['kind']} t={w['t']:.1f}s status={w['status']} window={win or '-'}: {w['outcome']}")
        L.append("writes around the faults (t, what, status, seconds):")
        for w in s.writes:
            win = self.window_of(w["t"], w["t"] + w["latency"])
            if win or w.get("big"):
                what = (f"upload{' LARGE (%d lines)' % w['features'] if w.get('big') else ''}"
                        if w["kind"] == "upload" else f"rollback to {w['target']}")
                res = f"-> version {w['version']}" if w["version"] is not None else w.get("outcome", "")
                L.append(f"  op {w['op']:>4} t={w['t']:6.1f}s {what}: {w['status']} in {w['latency']:.2f} s "
                         f"[{win or 'no fault'}] {res}")
        L.append(f"served version: HTTP /layers {served}, DB current {db_current}; expected one of "
                 f"{sorted(candidates)}; {L_items} -> {'OK' if self.served_ok else 'WRONG'}")

    # ---- the report ----------------------------------------------------------------------
    def render(self, shutdown_s):
        s = self.s
        out = []
        recs = list(s.records)
        out.append(f"== Requests: {len(recs)} in {s.a.seconds:.0f} s "
                   f"({s.a.readers} reader threads, think {s.a.think_ms:.0f} ms; 1 writer every {s.a.write_every_s} s)")
        classes = collections.Counter(("conn_error" if st is None else f"{st // 100}xx") for _, st, *_ in recs)
        out.append("by class: " + ", ".join(f"{k} {v}" for k, v in sorted(classes.items())))
        by_status = collections.Counter((fam, st) for fam, st, *_ in recs if st is not None)
        out.append("by family and status: " + ", ".join(f"{f} {st}: {n}" for (f, st), n in sorted(by_status.items())))

        fivexx = [r for r in recs if r[1] is not None and r[1] >= 500]
        expected = []
        for r in fivexx:
            wins = [w for w in ("pg", "kill") if self.window_of(r[3], r[4], (w,)) and r[5] in EXPECTED_5XX[w]]
            if wins:
                expected.append((r, wins[0]))
            else:
                self.unexpected_5xx.append((r, self.window_of(r[3], r[4])))
        out.append(f"5xx: {len(fivexx)} ({len(expected)} expected by design during a fault: "
                   f"503 database_unavailable while PostgreSQL restarts, engine_unavailable while starting; "
                   f"{len(self.unexpected_5xx)} UNEXPECTED)")
        exp = collections.Counter((win, fam, st, code) for (fam, st, _, ts, te, code, body), win in expected)
        for (win, fam, st, code), n in sorted(exp.items()):
            out.append(f"  expected: {fam} {st} {code} during the {win} fault x{n}")
        for (fam, st, _, ts, te, code, body), win in self.unexpected_5xx[:50]:
            out.append(f"  UNEXPECTED t={ts:.1f}s {fam} {st} window={win or '-'}: {body}")

        errs = [r for r in recs if r[1] is None]
        by_win = collections.Counter((self.window_of(r[3], r[4]) or "otherwise", r[2]) for r in errs)
        names = {"pg": "during the PostgreSQL restart", "kill": "around the kill -9 (in flight/refused)",
                 "otherwise": "otherwise"}
        out.append(f"connection errors: {len(errs)}")
        for (win, kind), n in sorted(by_win.items()):
            out.append(f"  {names[win]}: {kind} x{n}")

        out.append("== Latency (ms, answered requests, any status)")
        fams = sorted({r[0] for r in recs})
        for fam in fams:
            lat = sorted((r[4] - r[3]) * 1000 for r in recs if r[0] == fam and r[1] is not None)
            if lat:
                out.append(f"  {fam:<11} n={len(lat):<7} p50 {pct(lat, 50):8.1f}  p95 {pct(lat, 95):8.1f}  "
                           f"p99 {pct(lat, 99):8.1f}  max {lat[-1]:8.1f}")

        out.append("== RSS of qala serve (VmRSS, sampled every second)")
        for inc in sorted({i for i, _, _ in s.rss}):
            xs = [(t, kb) for i, t, kb in s.rss if i == inc]
            peak = max(xs, key=lambda x: x[1])
            out.append(f"  process {inc}: start {xs[0][1] / 1024:.0f} MB (t={xs[0][0]:.0f}s), "
                       f"peak {peak[1] / 1024:.0f} MB (t={peak[0]:.0f}s), end {xs[-1][1] / 1024:.0f} MB (t={xs[-1][0]:.0f}s)")

        out.append(f"  tile cache at the end (qala_tile_cache_bytes): {self.tile_cache_mb:.0f} MB of the RSS")
        out.extend(self.lines)

        out.append("== Faults and events (t = seconds since the load began)")
        out.extend(f"  {t:7.1f}s {e}" for t, e in s.events)
        out.append(f"graceful shutdown at the end (SIGTERM -> exit): "
                   f"{'%.2f s' % shutdown_s if shutdown_s is not None else 'did not exit within 10 s'}")

        log = [re.sub(r"\x1b\[[0-9;]*m", "", x) for x in open(s.a.server_log, errors="replace").read().splitlines()]
        panics = [x for x in log if "panic" in x.lower()]
        errors = [x for x in log if " ERROR " in x]
        out.append(f"server log: {len(log)} lines, {len(panics)} panic lines, {len(errors)} ERROR lines")
        for x in (panics + errors)[:20]:
            out.append("  " + x[:400])
        warns = collections.Counter(re.sub(r"^\S+\s+WARN\s+", "", x)[:110] for x in log if " WARN " in x)
        out.append(f"WARN lines: {sum(warns.values())}")
        for w, n in warns.most_common(8):
            out.append(f"  x{n} {w}")
        left = []
        for root, dirs, files in os.walk(s.a.tmpdir):
            left += [os.path.join(root, f) for f in files]
            left += [os.path.join(root, d) for d in dirs if root != s.a.tmpdir]  # not qala-<uid> itself
        out.append(f"temp files left under TMPDIR after the run (qala sweeps dead processes' at start): {len(left)}")
        out.extend("  " + x for x in left[:10])

        out.append(f"load average at the end: {' '.join(open('/proc/loadavg').read().split()[:3])}")
        failed = 1 if self.lost or not self.served_ok else (2 if self.unexpected_5xx or panics else 0)
        out.append(f"== RESULT: lost versions {len(self.lost)}, served version {'OK' if self.served_ok else 'WRONG'}, "
                   f"unexpected 5xx {len(self.unexpected_5xx)}, panics {len(panics)} -> exit {failed}")
        return "\n".join(out) + "\n", failed
