#!/usr/bin/env python3
"""bench_store_floor on two small server-like databases: the copy it takes of a
database is whole; the rows it stores for one sync, written into the database as
it was before, give exactly the database after (an edited row, a new row, an
unchanged row left alone); and what it cannot measure it refuses with one message.

Usage: bench_store_floor_test.py BENCH_STORE_FLOOR
"""
import json
import os
import sqlite3
import subprocess
import sys
import tempfile

SCHEMA = [
    "CREATE TABLE envelopes (log_index INTEGER PRIMARY KEY, id BLOB NOT NULL UNIQUE, bytes BLOB NOT NULL)",
    "CREATE TABLE submissions (id BLOB PRIMARY KEY, answers TEXT NOT NULL, review_state TEXT NOT NULL, "
    "updated_ms INTEGER NOT NULL, last_log_index INTEGER NOT NULL)",
    "CREATE INDEX submissions_by_updated ON submissions (updated_ms, id)",
    "CREATE INDEX submissions_by_state ON submissions (review_state)",
]


def make(path, envelopes, submissions, schema=SCHEMA):
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    for sql in schema:
        db.execute(sql)
    db.executemany("INSERT INTO envelopes VALUES (?, ?, ?)", envelopes)
    if submissions:
        db.executemany("INSERT INTO submissions VALUES (?, ?, ?, ?, ?)", submissions)
    db.commit()
    db.close()


def rows(path, table):
    db = sqlite3.connect(path)
    out = db.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
    db.close()
    return out


def run(args, expect_ok):
    p = subprocess.run([floor] + args, capture_output=True, text=True)
    if (p.returncode == 0) != expect_ok:
        sys.exit(f"{args}: exit {p.returncode}, stderr {p.stderr!r}")
    return p


def refuses(args, message):
    p = run(args, expect_ok=False)
    if message not in p.stderr or p.stderr.count("\n") != 1:
        sys.exit(f"{args}: expected one line with {message!r}, got {p.stderr!r}")


floor = sys.argv[1]
envelope = lambda i: (i, bytes([i]) * 32, b"DLE1" + bytes([i]) * 200)
first = [envelope(i) for i in (1, 2, 3)]
before_rows = [(b"A" * 16, '{"q":1}', "received", 100, 1), (b"B" * 16, '{"q":2}', "approved", 200, 3)]
# The sync: an edit of A (its answers, time and log index change; its state does not),
# a new record C; B untouched.
after_rows = [(b"A" * 16, '{"q":5}', "received", 400, 4), before_rows[1], (b"C" * 16, '{"q":9}', "received", 500, 5)]

with tempfile.TemporaryDirectory() as d:
    before, after = os.path.join(d, "before.db"), os.path.join(d, "after.db")
    make(before, first, before_rows)
    make(after, first + [envelope(4), envelope(5)], after_rows)

    # A whole copy, taken while another connection holds the database open.
    holder = sqlite3.connect(after)
    holder.execute("SELECT count(*) FROM envelopes").fetchall()
    snap = os.path.join(d, "snap.db")
    run(["--snapshot", after, "--to", snap], expect_ok=True)
    holder.close()
    for table in ("envelopes", "submissions"):
        if rows(snap, table) != rows(after, table):
            sys.exit(f"the snapshot's {table} differ from the database's")
    refuses(["--snapshot", after, "--to", snap], "exists already")

    # One sync's rows, stored again into the database as it was before.
    work = os.path.join(d, "work")
    os.mkdir(work)
    out = json.loads(run(["--changes-before", before, "--from", after, "--dir", work, "--repeats", "2"],
                         expect_ok=True).stdout)
    expected = {"envelopes": 2, "rows_updated": 1, "rows_inserted": 1}
    got = {k: out[k] for k in expected}
    if got != expected:
        sys.exit(f"counted {got}, expected {expected}")
    if out["cpu_ms"]["n"] != 2 or not out["wall_ms"]["median"] > 0 or out["cache_misses"]["max"] != 0:
        sys.exit(f"no timing of each repeat: {out}")
    stored = os.path.join(work, "changes1.db")
    for table in ("envelopes", "submissions"):
        if rows(stored, table) != rows(after, table):
            sys.exit(f"the rows stored for the sync leave {table} unlike the database after it: "
                     f"{rows(stored, table)} != {rows(after, table)}")
    if rows(before, "submissions") != before_rows:
        sys.exit("the database before the sync was written to")

    # The first sync's floor on the same database: every row counted.
    first_sync = json.loads(run(["--from", after, "--dir", work, "--batch", "2", "--repeats", "1"],
                                expect_ok=True).stdout)
    if (first_sync["envelopes"], first_sync["submissions"]) != (5, 3):
        sys.exit(f"first sync's floor counted {first_sync}")

    # What it cannot measure.
    refuses(["--changes-before", after, "--from", after, "--dir", work], "holds no envelope after the last of")
    other = os.path.join(d, "other.db")
    make(other, first, [], schema=SCHEMA[:1] + ["CREATE TABLE submissions (id BLOB PRIMARY KEY, last_log_index INTEGER)"])
    refuses(["--changes-before", other, "--from", after, "--dir", work], "do not have the same submissions table")
    refuses(["--changes-before", before, "--from", os.path.join(d, "missing.db"), "--dir", work], "cannot open")
    refuses(["--changes-before", before, "--from", after, "--dir", work, "--repeats", "two"],
            '--repeats takes a number, not "two"')
    refuses(["--from", after, "--dir", work, "--batch", "10x"], '--batch takes a number, not "10x"')
    # A database whose last commits are still in its WAL: the copy of its main file would miss them.
    live = os.path.join(d, "live.db")
    make(live, first, before_rows)
    writer = sqlite3.connect(live)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("UPDATE submissions SET answers = '{\"q\":7}' WHERE id = ?", (b"A" * 16,))
    writer.commit()
    refuses(["--changes-before", live, "--from", after, "--dir", work], "has commits in")
    writer.close()
print("ok")
