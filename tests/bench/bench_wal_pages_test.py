#!/usr/bin/env python3
"""scripts/bench_wal_pages.py against a WAL whose pages are known, and against a file that is none.

A database in WAL mode gets a large transaction, a checkpoint that makes the next writer start the
WAL again (new salts, the file kept), then one transaction that fills a new table and its index from
empty: the WAL copied before the connection closes holds that commit first and the large one's stale
frames after it. The script must take the new commit alone and name each of its pages after the
b-tree that owns it (every page of the new table and index, as dbstat counts them), and refuse a file
that is not a WAL with one message."""
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile

script = sys.argv[1]
work = tempfile.mkdtemp()
try:
    db_path = os.path.join(work, "t.db")
    db = sqlite3.connect(db_path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA wal_autocheckpoint=0")
    db.execute("CREATE TABLE earlier (body TEXT NOT NULL)")
    db.execute("BEGIN")
    for _ in range(8000):
        db.execute("INSERT INTO earlier (body) VALUES (?)", ("y" * 500,))
    db.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint(RESTART)")  # the next commit overwrites the WAL from its start
    db.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, key BLOB NOT NULL, body TEXT NOT NULL)")
    db.execute("CREATE INDEX items_by_key ON items (key)")
    db.execute("BEGIN")
    for _ in range(2000):
        db.execute("INSERT INTO items (key, body) VALUES (?, ?)", (os.urandom(32), "x" * 500))
    db.execute("COMMIT")
    shutil.copy(db_path + "-wal", os.path.join(work, "copy.wal"))
    db.close()  # checkpoints: the database now holds what the WAL did
    pages_of = dict(sqlite3.connect(db_path).execute("SELECT name, count(*) FROM dbstat GROUP BY name"))

    out = subprocess.run([sys.executable, script, os.path.join(work, "copy.wal"), db_path, work],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    by = got["by_btree"]
    assert got["frames"] == got["distinct_pages"] == sum(by.values()), got
    # Made from empty in that commit: every page of the table and its index is in it.
    assert by.get("items") == pages_of["items"] and by.get("items_by_key") == pages_of["items_by_key"], (by, pages_of)
    assert "earlier" not in by, by  # the stale frames of the commit before the restart
    assert got["alone"]["sync_ms"] >= 0 and got["alone"]["runs"] == 5, got
    assert not os.path.exists(os.path.join(work, "wal-probe")), "the probe file was left behind"

    not_wal = os.path.join(work, "not.wal")
    with open(not_wal, "wb") as f:
        f.write(b"\0" * 4096)
    out = subprocess.run([sys.executable, script, not_wal, db_path, work], capture_output=True, text=True)
    assert out.returncode != 0 and out.stdout == "", out
    assert out.stderr.strip() == "bench_wal_pages: not a WAL file", out.stderr
    print("bench_wal_pages: pages named after their b-trees; a file that is not a WAL refused")
finally:
    shutil.rmtree(work)
