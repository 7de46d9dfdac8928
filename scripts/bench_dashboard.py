#!/usr/bin/env python3
"""The coordinators' dashboard under load: scripts/bench runs this against the
server it filled with the first sync (tens of thousands of records) and
appends the section it prints (Markdown) to docs/BENCHMARKS.md.

  bench_dashboard.py URL USER PASSWORD SERVER_PID OUT.json OUT.md [--runs N]

Times are measured by the client over one keep-alive loopback connection,
so they are the server's time plus a loopback round trip, which is measured
in the same run beside them. Nothing here asserts a timing.
"""
import gzip
import http.client
import json
import statistics
import sys
import time
import urllib.parse


def percentile(xs, p):
    xs = sorted(xs)
    if not xs:
        return None
    k = (len(xs) - 1) * p
    lo = int(k)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


class Session:
    def __init__(self, url):
        parsed = urllib.parse.urlparse(url)
        self.conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=120)
        self.cookie = ""
        self.csrf = ""

    def request(self, method, path, body=None, headers=None):
        h = {"Accept": "application/json"}
        if self.cookie:
            h["Cookie"] = self.cookie
        if body is not None:
            h["Content-Type"] = "application/json"
            h["X-CSRF-Token"] = self.csrf
        h.update(headers or {})
        t0 = time.perf_counter()
        self.conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=h)
        res = self.conn.getresponse()
        data = res.read()
        elapsed = (time.perf_counter() - t0) * 1000
        if res.status >= 400:
            raise RuntimeError(f"{method} {path}: HTTP {res.status} {data[:200]!r}")
        return res, data, elapsed

    def login(self, user, password):
        res, data, _ = self.request("POST", "/api/v1/login", {"username": user, "password": password})
        self.cookie = res.getheader("Set-Cookie").split(";")[0]
        self.csrf = json.loads(data)["csrf_token"]


def timed(session, paths, runs):
    times = []
    for i in range(runs):
        _, _, ms = session.request("GET", paths[i % len(paths)])
        times.append(ms)
    return {"runs": runs, "median_ms": statistics.median(times), "p95_ms": percentile(times, 0.95),
            "max_ms": max(times)}


def rss_kib(pid, field):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return None


def main():
    url, user, password, pid, out_json, out_md = sys.argv[1:7]
    runs = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 60
    s = Session(url)
    s.login(user, password)
    floor = timed(s, ["/api/v1/health"], max(runs, 50))
    total = json.loads(s.request("GET", "/api/v1/submissions?limit=1")[1])["total"]
    regions = ["ala", "ast", "shy", "kar", "akt", "tur", "eko"]
    two_filters = [f"/api/v1/submissions?form=psc_observation&region={r}&state=received&sort=updated&order=desc&limit=50"
                   for r in regions]
    results = {
        "records": total,
        "floor": floor,
        "list": timed(s, two_filters, runs),
        "list_search": timed(s, [f"/api/v1/submissions?form=psc_observation&q={r}_0&limit=50" for r in regions],
                             max(runs // 3, 10)),
        "overview": timed(s, ["/api/v1/overview", "/api/v1/overview?form=psc_observation"], max(runs // 3, 10)),
        "indicators": timed(s, ["/api/v1/indicators?form=psc_observation"], max(runs // 6, 5)),
        "indicators_split": timed(s, ["/api/v1/indicators?form=psc_observation&split=region"], max(runs // 6, 5)),
    }
    # The first load of the dashboard: every file it is served, compressed.
    page = Session(url)
    files = ["/", "/assets/app.css", "/assets/icons/dala.svg", "/assets/js/app.js", "/assets/js/api.js",
             "/assets/js/dom.js", "/assets/js/i18n.js", "/assets/js/decide.js", "/assets/i18n/ru.json",
             "/assets/js/pages/overview.js", "/assets/js/charts.js", "/assets/js/forms.js", "/assets/js/widgets.js"]
    compressed = raw = 0
    for f in files:
        res, data, _ = page.request("GET", f, headers={"Accept-Encoding": "gzip"})
        compressed += len(data)
        raw += len(gzip.decompress(data)) if res.getheader("Content-Encoding") == "gzip" else len(data)
    results["first_load"] = {"files": len(files), "compressed_bytes": compressed, "bytes": raw}
    results["rss_kib"] = rss_kib(pid, "VmRSS")
    results["peak_rss_kib"] = rss_kib(pid, "VmHWM")
    json.dump(results, open(out_json, "w"), indent=1)

    def row(name, r, target, target_ms, key="p95_ms"):
        ok = r[key] <= target_ms
        return (f"| {name} | {r['median_ms']:.1f} ms median, **{r['p95_ms']:.1f} ms p95** ({r['runs']} requests) | "
                f"loopback round trip {floor['median_ms']:.2f} ms | {target} | {'yes' if ok else '**no**'} |")

    fl = results["first_load"]
    lines = [
        "## D. The coordinators' dashboard (issue 11)",
        "",
        "| figure | measured | machine limit, same run | target | met? |",
        "|---|---|---|---|---|",
        row("submissions list, two filters (form and region, state received; sorted, a page of 50)",
            results["list"], "p95 ≤ 100 ms", 100),
        row("the same with free-text search", results["list_search"], "—", 1e9),
        row("overview (all forms, and one form)", results["overview"], "≤ 200 ms", 200),
        row("indicators of psc_observation", results["indicators"], "≤ 300 ms", 300),
        row("indicators of psc_observation split by region", results["indicators_split"], "—", 1e9),
        f"| first load of the dashboard, compressed | {fl['compressed_bytes'] / 1024:.1f} KiB in {fl['files']} files "
        f"({fl['bytes'] / 1024:.1f} KiB uncompressed) | — | ≤ 150 KB | "
        f"{'yes' if fl['compressed_bytes'] <= 150_000 else '**no**'} |",
        f"| server peak RSS while serving it | {results['peak_rss_kib'] / 1024:.1f} MiB (resident now "
        f"{results['rss_kib'] / 1024:.1f} MiB) | — | ≤ 150 MB | "
        f"{'yes' if results['peak_rss_kib'] * 1024 <= 150_000_000 else '**no**'} |",
        "",
        f"On the server the first sync filled: {total:,} submissions. Times are taken by the client over one "
        "keep-alive loopback connection, so each is the server's time plus one loopback round trip (measured "
        "beside them); the peak RSS covers the sync before as well.",
        "",
    ]
    open(out_md, "w").write("\n".join(lines))


if __name__ == "__main__":
    main()
