#!/usr/bin/env python3
"""`dala ui`, the volunteer's page (issue 12): scripts/bench runs this and
puts the section it prints (Markdown) into docs/BENCHMARKS.md.

  bench_ui.py DALA PROFILE_CHEAP PROFILE_REAL ANSWERS.json OUT.json OUT.md [--runs N] [--forms N]

PROFILE_CHEAP's key is sealed with a cheap Argon2id, PROFILE_REAL's with
Dala's own (32 MiB); both passphrases are DALA_PASSPHRASE. ANSWERS.json is
one valid psc_observation (bench_gen --answers-file). Each figure stands
beside a limit of this machine measured in the same run. Nothing here
asserts a timing.
"""
import gzip
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.parse

from bench_dashboard import percentile  # beside this file


def median(xs):
    return statistics.median(xs) if xs else None


class Ui:
    """A running `dala ui` on a profile, and one browser-like session with it."""

    def __init__(self, dala, profile):
        self.started = time.perf_counter()
        self.proc = subprocess.Popen([dala, "--profile", profile, "ui", "--no-browser", "--lang", "ru"],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = ""
        while "token=" not in line:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("dala ui ended before printing its address")
        self.url = re.search(r"http://127\.0\.0\.1:\d+/\?token=[0-9a-f]+", line).group(0)
        parsed = urllib.parse.urlparse(self.url)
        self.port = parsed.port
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        self.cookie = ""

    def first_answer_ms(self):
        """From the spawn to the first HTTP answer (a refusal without the session is an answer)."""
        self.conn.request("GET", "/api/home", headers={"Host": f"127.0.0.1:{self.port}"})
        self.conn.getresponse().read()
        return (time.perf_counter() - self.started) * 1000

    def request(self, method, path, body=None, encoding=None):
        h = {"Host": f"127.0.0.1:{self.port}"}
        if self.cookie:
            h["Cookie"] = self.cookie
        if encoding:
            h["Accept-Encoding"] = encoding
        if method != "GET":
            h["Origin"] = f"http://127.0.0.1:{self.port}"
            h["Content-Type"] = "application/json"
        t0 = time.perf_counter()
        self.conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=h)
        res = self.conn.getresponse()
        data = res.read()
        wall = (time.perf_counter() - t0) * 1000
        timing = re.search(r"dur=([0-9.]+)", res.getheader("Server-Timing") or "")
        return res, data, wall, float(timing.group(1)) if timing else None

    def login(self):
        res, _, _, _ = self.request("GET", urllib.parse.urlparse(self.url).path + "?" + urllib.parse.urlparse(self.url).query)
        self.cookie = res.getheader("Set-Cookie").split(";")[0]

    def unlock(self):
        res, data, _, _ = self.request("POST", "/api/unlock", {"passphrase": os.environ["DALA_PASSPHRASE"]})
        if res.status != 200:
            raise RuntimeError(f"unlock: {res.status} {data[:200]!r}")

    def status(self, field):
        for line in open(f"/proc/{self.proc.pid}/status"):
            if line.startswith(field + ":"):
                return int(line.split()[1])
        return None

    def stop(self):
        """SIGTERM, then the process's own peak RSS (KiB) from wait4."""
        self.conn.close()
        self.proc.terminate()
        _, _, usage = os.wait4(self.proc.pid, 0)
        self.proc.returncode = 0
        return usage.ru_maxrss


def spawn_ms(argv):
    t0 = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return (time.perf_counter() - t0) * 1000


def text_for(step, answers):
    """What a volunteer would type: the answer of bench_gen's record, else a plausible one."""
    if step["kind"] == "add_repeat":
        return "no"
    value = answers.get(step["name"])
    if value is None:
        if step.get("required"):
            if step.get("choices"):
                return step["choices"][0]["name"]
            return {"integer": "1", "decimal": "1", "rating": "1", "acknowledge": "yes"}.get(step["type"], "x")
        return ""
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return str(value)


def fill_one(ui, answers, times):
    """One psc_observation from its first screen to the signed record; each request's times."""
    res, data, wall, own = ui.request("POST", "/api/drafts", {"form": "psc_observation"})
    times.append((wall, own))
    screen = json.loads(data)
    for _ in range(200):
        if screen.get("at_end"):
            break
        step = screen["step"]
        text = text_for(step, answers)
        res, data, wall, own = ui.request("POST", f"/api/drafts/{screen['draft']}/answer", {"text": text})
        times.append((wall, own))
        after = json.loads(data)
        if after.get("error") and step.get("choices") and text != step["choices"][0]["name"]:
            res, data, wall, own = ui.request("POST", f"/api/drafts/{screen['draft']}/answer",
                                              {"text": step["choices"][0]["name"]})
            times.append((wall, own))
            after = json.loads(data)
        if after.get("error"):
            raise RuntimeError(f"{step['name']}: {text!r} refused: {after['error']}")
        screen = after
    res, data, wall, own = ui.request("POST", f"/api/drafts/{screen['draft']}/finish", {})
    if res.status != 201:
        raise RuntimeError(f"finish: {res.status} {data[:300]!r}")
    times.append((wall, own))


def first_load(ui):
    """The files the page fetches on its first load, as sent with gzip and as they are."""
    paths = ["/", "/assets/app.css", "/assets/js/app.js"]
    seen = set()
    sent = raw = 0
    while paths:
        p = paths.pop(0)
        if p in seen:
            continue
        seen.add(p)
        res, data, _, _ = ui.request("GET", p, encoding="gzip, deflate")
        sent += len(data)
        body = gzip.decompress(data) if res.getheader("Content-Encoding") == "gzip" else data
        raw += len(body)
        if p.endswith(".js"):
            for m in re.finditer(r"from '\./([a-z_]+\.js)'", body.decode()):
                paths.append("/assets/js/" + m.group(1))
    records = 0
    for p in ("/assets/i18n/ru.json", "/api/home"):
        res, data, _, _ = ui.request("GET", p, encoding="gzip, deflate")
        sent += len(data)
        body = gzip.decompress(data) if res.getheader("Content-Encoding") == "gzip" else data
        raw += len(body)
        if p == "/api/home":
            records = len(json.loads(body)["records"])
        seen.add(p)
    return {"files": len(seen), "sent_bytes": sent, "raw_bytes": raw, "records": records}


def fsync_4k_ms(directory, runs=30):
    path = os.path.join(directory, "fsync-probe")
    out = []
    with open(path, "wb") as f:
        for _ in range(runs):
            t0 = time.perf_counter()
            f.seek(0)
            f.write(os.urandom(4096))
            f.flush()
            os.fdatasync(f.fileno())
            out.append((time.perf_counter() - t0) * 1000)
    os.unlink(path)
    return median(out)


def main():
    dala, cheap, real, answers_file, out_json, out_md = sys.argv[1:7]
    runs = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 20
    forms = int(sys.argv[sys.argv.index("--forms") + 1]) if "--forms" in sys.argv else 10
    answers = json.load(open(answers_file))

    # Ready to serve, interleaved with the start of /bin/true and of `dala --help`.
    ready, true_ms, help_ms = [], [], []
    for _ in range(runs):
        true_ms.append(spawn_ms(["/bin/true"]))
        help_ms.append(spawn_ms([dala, "--help"]))
        ui = Ui(dala, cheap)
        ready.append(ui.first_answer_ms())
        ui.stop()

    # Filling: psc_observation screens on a cheap key (Argon2id's 32 MiB
    # are the unlock's, freed at once, and shown apart below).
    ui = Ui(dala, cheap)
    ui.login()
    load = first_load(ui)
    ui.unlock()
    times = []
    for _ in range(forms):
        fill_one(ui, answers, times)
    floor = [ui.request("GET", "/api/sync")[2] for _ in range(30)]
    rss_now = ui.status("VmRSS")
    hwm_cheap = ui.stop()
    fsync = fsync_4k_ms(cheap)

    ui = Ui(dala, real)
    ui.login()
    ui.unlock()
    fill_one(ui, answers, [])
    hwm_real = ui.stop()

    own = [o for _, o in times if o is not None]
    wall = [w for w, _ in times]
    result = {
        "ready_ms": {"median": median(ready), "p95": percentile(ready, 0.95), "n": len(ready)},
        "true_ms": median(true_ms), "help_ms": median(help_ms),
        "screen_own_ms": {"median": median(own), "p95": percentile(own, 0.95), "n": len(own)},
        "screen_wall_ms": {"median": median(wall), "p95": percentile(wall, 0.95)},
        "loopback_get_ms": median(floor), "fsync_4k_ms": fsync, "forms": forms,
        "first_load": load,
        "rss_after_filling_kib": rss_now, "hwm_cheap_kib": hwm_cheap, "hwm_real_kib": hwm_real,
    }
    json.dump(result, open(out_json, "w"), indent=1)

    def ms(x):
        return "—" if x is None else f"{x:,.2f} ms" if x < 10 else f"{x:,.1f} ms"

    def met(ok):
        return "yes" if ok else "**no**"

    r = result
    mib = lambda kib: f"{kib / 1024:.1f} MiB"
    rows = [
        ["`dala ui` ready to serve: start to its first HTTP answer (no key opened)",
         f"{ms(r['ready_ms']['median'])} (median of {r['ready_ms']['n']}; p95 {ms(r['ready_ms']['p95'])})",
         f"`/bin/true`: {ms(r['true_ms'])}; `dala --help`: {ms(r['help_ms'])}",
         f"+{ms(r['ready_ms']['median'] - r['help_ms'])} over `dala --help`", "≤ 100 ms",
         met(r["ready_ms"]["median"] <= 100)],
        [f"server time per screen, `psc_observation` ({forms} forms, {r['screen_own_ms']['n']} requests: "
         "each answer saved as a draft, then the next screen; signing at the end)",
         f"{ms(r['screen_own_ms']['median'])} (p95 {ms(r['screen_own_ms']['p95'])}); at the browser "
         f"{ms(r['screen_wall_ms']['median'])}",
         f"write+fdatasync 4 KiB: {ms(r['fsync_4k_ms'])}; loopback GET of `dala ui`: {ms(r['loopback_get_ms'])}",
         f"{r['screen_own_ms']['median'] / r['fsync_4k_ms']:.1f}× fsync", "≤ 20 ms",
         met(r["screen_own_ms"]["median"] <= 20)],
        [f"first page load, compressed ({load['files']} requests: page, style, scripts, words, Home's JSON "
         f"listing {load['records']} records)",
         f"{load['sent_bytes'] / 1024:.1f} KiB", f"uncompressed: {load['raw_bytes'] / 1024:.1f} KiB",
         f"{load['sent_bytes'] / load['raw_bytes']:.2f}× raw", "≤ 100 KB", met(load["sent_bytes"] <= 100e3)],
        ["peak RSS of `dala ui` while filling, cheap key (Argon2id not counted)",
         f"{mib(r['hwm_cheap_kib'])} (now {mib(r['rss_after_filling_kib'])} after {forms} forms)",
         f"the same with Dala's Argon2id key: {mib(r['hwm_real_kib'])} (its 32 MiB are the unlock's)", "—",
         "≤ 40 MB", met(r["hwm_cheap_kib"] * 1024 <= 40e6)],
    ]
    head = "| figure | measured | machine limit, same run | ratio | target | met? |\n|---|---|---|---|---|---|\n"
    table = head + "".join("| " + " | ".join(str(c) for c in row) + " |\n" for row in rows)
    md = f"""## F. The volunteer's page, `dala ui` (issue 12)

{table}
`scripts/bench_ui.py` starts `dala --profile P ui --no-browser` and talks to it as the page does (session
cookie, `Origin`), over one keep-alive loopback connection. Ready to serve is the wall time from the spawn
to the first answer, interleaved with the start of `/bin/true` and `dala --help`. Server time is the
`Server-Timing` header `dala ui` sets around its handler (each answer is fsync'ed as a draft before the
answer), over {forms} `psc_observation` forms filled with a `bench_gen` record's answers. The first load is
what the page fetches, asking for gzip (Chromium also takes Brotli, smaller). Peak RSS is `ru_maxrss` from
`wait4` after the filling.

"""
    open(out_md, "w").write(md)
    print(md)


if __name__ == "__main__":
    main()
