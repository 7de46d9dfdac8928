#!/usr/bin/env python3
"""One sync exchange of dala-server in time: when each part ran, on how many threads.

perf's CPU shares (perf report) say what the server spends; they do not say what the laptop waits
for. A sync's exchange verifies on every core while one thread takes the envelopes in order under the
log's lock (the ordered pass), then writes the indicator counts and commits: the wait is the longest
chain of these, not their sum. This reads the samples of a `perf record -g` of the server (as
`perf script -F tid,time,ip,sym` prints them: a header line with the thread and the time, then the
call chain, one frame a line, each starting with a tab) and names each sample after the part its
call chain is in:

  verify    VerifyCandidate, on whichever thread ran it (the ordered pass helps while it waits)
  commit    sql::Transaction::Commit (the WAL pages written, fsync)
  counts    the indicator counts written before the commit
  ordered   the rest of RecordService::PassInOrder
  other     everything else (HTTP, decompression, the answer, other threads)

For each part: its first and last sample and its CPU (samples / HZ), in milliseconds from the first
sample of verify or ordered, whichever came first; and the threads it ran on. The exchange ends at
its commit's last sample before any later verify or ordered sample (another exchange's); samples
outside it are other exchanges' or idle threads' and are left out.

Usage: bench_timeline.py PERF_SCRIPT_TEXT HZ   (JSON on stdout)
"""
import json
import re
import sys

PARTS = (("verify", ("VerifyCandidate",)),
         ("commit", ("Transaction::Commit",)),
         ("counts", ("ApplyIndicatorTally", "FlushIndicatorCounts")),
         ("ordered", ("RecordService::PassInOrder",)))
HEADER = re.compile(r"(\d+)\s+(?:\[\d+\]\s+)?(\d+\.\d+):")


def samples(lines):
    """(thread, seconds, frames) for each sample."""
    tid = when = None
    frames = []
    for line in lines:
        if line.startswith("\t"):
            if tid is not None:
                frames.append(line)
            continue
        if not line.strip():
            continue
        if tid is not None:
            yield tid, when, frames
        m = HEADER.search(line)
        tid, when, frames = (int(m.group(1)), float(m.group(2)), []) if m else (None, None, [])
    if tid is not None:
        yield tid, when, frames


def part_of(frames):
    for name, markers in PARTS:
        if any(marker in frame for frame in frames for marker in markers):
            return name
    return "other"


def timeline(lines, hz):
    named = [(tid, when, part_of(frames)) for tid, when, frames in samples(lines)]
    core = [when for _, when, part in named if part in ("verify", "ordered")]
    if not core:
        sys.exit("bench_timeline: no sample of a sync exchange (VerifyCandidate or PassInOrder)")
    start = min(core)
    # The exchange ends with its commit: the last commit sample before the next exchange's first
    # verify or ordered sample (a laptop's `dala sync` may ask again, with nothing to send).
    commits = sorted(when for _, when, part in named if part == "commit" and when > start)
    if commits:
        after = [when for when in core if when > commits[0]]
        end = max(when for when in commits if not after or when < min(after))
    else:
        end = max(core)
    parts = {}
    for tid, when, part in named:
        if not start <= when <= end:
            continue
        p = parts.setdefault(part, {"first": when, "last": when, "samples": 0, "threads": set()})
        p["first"], p["last"] = min(p["first"], when), max(p["last"], when)
        p["samples"] += 1
        p["threads"].add(tid)
    ms = lambda seconds: round(seconds * 1000, 1)
    out = {name: {"first_ms": ms(p["first"] - start), "last_ms": ms(p["last"] - start),
                  "cpu_ms": round(p["samples"] * 1000 / hz, 1), "samples": p["samples"],
                  "threads": len(p["threads"])}
           for name, p in parts.items()}
    return {"hz": hz, "span_ms": ms(end - start), "parts": out}


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: bench_timeline.py PERF_SCRIPT_TEXT HZ")
    try:
        hz = float(sys.argv[2])
        if hz <= 0:
            raise ValueError
    except ValueError:
        sys.exit(f"bench_timeline: HZ must be a positive number, not {sys.argv[2]!r}")
    with open(sys.argv[1], errors="replace") as text:
        print(json.dumps(timeline(text, hz)))


if __name__ == "__main__":
    main()
