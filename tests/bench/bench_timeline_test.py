#!/usr/bin/env python3
"""scripts/bench_timeline.py against samples whose timeline is known, and against text with no sync.

Two threads, as `perf script -F tid,time,ip,sym` prints them at 1000 Hz: a verifying thread from 0 to
40 ms; the ordered pass from 0 to 90 ms, which verifies itself at 10 ms (counted as verify); then the
indicator counts and the commit; an idle thread's sample before the exchange and one more exchange's
after its commit (an ordered pass, then a commit), which are left out. The script must give each part's first and last sample, its CPU
and its threads; and exit with one message, non-zero, for text with no sync exchange in it."""
import json
import os
import subprocess
import sys
import tempfile

script = sys.argv[1]

ORDERED = ["\t55 dala::server::RecordService::TakeInOrder+0x10 (dala-server)",
           "\t56 dala::server::RecordService::PassInOrder+0x20 (dala-server)",
           "\t57 dala::server::RecordService::AppendInOrder+0x30 (dala-server)"]
VERIFY = ["\t11 dala::server::(anonymous namespace)::VerifyCandidate+0x5 (dala-server)",
          "\t12 std::_Function_handler<void (unsigned long, unsigned long)>::_M_invoke (dala-server)"]
COUNTS = ["\t21 dala::server::SqliteStore::ApplyIndicatorTally+0x9 (dala-server)",
          "\t22 dala::server::SqliteStore::FlushIndicatorCounts+0x3 (dala-server)",
          "\t23 dala::server::RecordService::AppendInOrder+0x40 (dala-server)"]
COMMIT = ["\t31 fdatasync+0x1 (libc.so.6)", "\t32 dala::sql::Transaction::Commit+0x7 (dala-server)"]
OTHER = ["\t41 inflate+0x2 (libz.so.1)"]

T0 = 1000.0  # seconds, as perf prints them


def sample(tid, ms, frames):
    return [f"    {tid} {T0 + ms / 1000:.6f}: "] + frames + [""]


lines = sample(9, -200, OTHER)  # an idle thread, long before
for ms in range(0, 41):
    lines += sample(2, ms, VERIFY)
for ms in range(0, 91):
    lines += sample(1, ms, VERIFY + ORDERED if ms == 10 else ORDERED)
for ms in range(91, 96):
    lines += sample(1, ms, COUNTS)
for ms in range(96, 121):
    lines += sample(1, ms, COMMIT)
lines += sample(2, 60, OTHER)     # the HTTP edge meanwhile: inside the exchange
lines += sample(1, 400, ORDERED)  # the next exchange, and its commit: not this one's
lines += sample(1, 410, COMMIT)

work = tempfile.mkdtemp()
try:
    text = os.path.join(work, "perf.txt")
    with open(text, "w") as f:
        f.write("\n".join(lines))
    out = subprocess.run([sys.executable, script, text, "1000"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    parts = got["parts"]
    assert parts["verify"] == {"first_ms": 0.0, "last_ms": 40.0, "cpu_ms": 42.0, "samples": 42, "threads": 2}, parts
    assert parts["ordered"] == {"first_ms": 0.0, "last_ms": 90.0, "cpu_ms": 90.0, "samples": 90, "threads": 1}, parts
    assert parts["counts"] == {"first_ms": 91.0, "last_ms": 95.0, "cpu_ms": 5.0, "samples": 5, "threads": 1}, parts
    assert parts["commit"] == {"first_ms": 96.0, "last_ms": 120.0, "cpu_ms": 25.0, "samples": 25, "threads": 1}, parts
    assert parts["other"]["samples"] == 1 and parts["other"]["first_ms"] == 60.0, parts
    assert got["span_ms"] == 120.0, got

    empty = os.path.join(work, "none.txt")
    with open(empty, "w") as f:
        f.write("\n".join(sample(9, 0, OTHER)))
    out = subprocess.run([sys.executable, script, empty, "1000"], capture_output=True, text=True)
    assert out.returncode != 0 and out.stderr.strip().startswith("bench_timeline: no sample of a sync"), out
    assert len(out.stderr.strip().splitlines()) == 1, out.stderr
    out = subprocess.run([sys.executable, script, text, "0"], capture_output=True, text=True)
    assert out.returncode != 0 and "HZ must be a positive number" in out.stderr, out
finally:
    import shutil
    shutil.rmtree(work)
print("bench_timeline: ok")
