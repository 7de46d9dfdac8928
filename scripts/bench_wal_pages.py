#!/usr/bin/env python3
"""What one commit of dala-server wrote: its WAL frames by table and index.

scripts/bench copies the server's WAL right after a sync of changed records,
whose exchange is one transaction, so its largest commit is that sync's. Each
frame is one database page (SQLite's WAL format: a 32-byte header, then frames
of a 24-byte header and a page; a frame belongs to the log while its salts are
the header's; a commit frame records the database size). The pages are named
after the b-tree that owns them in the database (the dbstat table), and the
same number of frames is then written over a file of that size in the same
directory and synced (fdatasync), as SQLite writes its reused WAL: what storing
those pages durably costs this disk, whatever the code does.

Usage: bench_wal_pages.py WAL_COPY DATABASE SCRATCH_DIR   (JSON on stdout)
"""
import json
import os
import sqlite3
import statistics
import struct
import sys
import time


def commits(wal):
    """The page size, and each commit's page numbers in WAL order (frames of an earlier
    generation, left past the last write, are not read: their salts differ)."""
    if len(wal) < 32:
        sys.exit("bench_wal_pages: shorter than a WAL header")
    magic, _version, page_size, _seq, salt1, salt2 = struct.unpack(">6I", wal[:24])
    if magic not in (0x377F0682, 0x377F0683):
        sys.exit("bench_wal_pages: not a WAL file")
    out, pages, offset = [], [], 32
    while offset + 24 + page_size <= len(wal):
        page, db_size, s1, s2 = struct.unpack(">4I", wal[offset:offset + 16])
        if (s1, s2) != (salt1, salt2):
            break
        pages.append(page)
        if db_size:
            out.append(pages)
            pages = []
        offset += 24 + page_size
    return page_size, out


def write_and_sync_ms(directory, frames, frame_size, runs=5):
    """Times to write `frames` frames over an existing file, and to fdatasync them: medians."""
    path = os.path.join(directory, "wal-probe")
    block = b"\x5a" * frame_size
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        for _ in range(frames):  # the file exists beforehand, as a reused WAL does
            os.write(fd, block)
        os.fsync(fd)
        writes, syncs = [], []
        for _ in range(runs):
            start = time.perf_counter()
            for k in range(frames):
                os.pwrite(fd, block, k * frame_size)
            written = time.perf_counter()
            os.fdatasync(fd)
            writes.append((written - start) * 1000)
            syncs.append((time.perf_counter() - written) * 1000)
        return {"write_ms": statistics.median(writes), "sync_ms": statistics.median(syncs), "runs": runs}
    finally:
        os.close(fd)
        os.unlink(path)


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: bench_wal_pages.py WAL_COPY DATABASE SCRATCH_DIR")
    with open(sys.argv[1], "rb") as f:
        wal = f.read()
    page_size, all_commits = commits(wal)
    if not all_commits:
        sys.exit("bench_wal_pages: the WAL holds no commit")
    pages = max(all_commits, key=len)
    db = sqlite3.connect(f"file:{sys.argv[2]}?mode=ro", uri=True)
    owner = dict(db.execute("SELECT pageno, name FROM dbstat"))
    by_btree = {}
    for p in set(pages):
        name = owner.get(p, "(free or new)")
        by_btree[name] = by_btree.get(name, 0) + 1
    print(json.dumps({"page_size": page_size, "frames": len(pages), "distinct_pages": len(set(pages)),
                      "by_btree": dict(sorted(by_btree.items(), key=lambda kv: -kv[1])),
                      "alone": write_and_sync_ms(sys.argv[3], len(pages), page_size + 24)}))


if __name__ == "__main__":
    main()
