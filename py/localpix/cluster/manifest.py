"""The manifest: one SQLite row per input, written only by the driver, one transaction per batch.

SQLite rather than JSON Lines: a run over millions of files looks each input up on resume (an
index, not a file read into memory), a batch's rows land together or not at all (a driver
killed mid-write leaves no torn line), a rerun replaces a row instead of appending a second one
(one record per input, always), and anyone can audit it with the sqlite3 shell:

    sqlite3 OUTDIR/localpix-manifest.sqlite \\
        "select path, json_extract(result, '$.error') from files where error"

It is in Python's standard library (nothing to install) and lives on the driver's disk: workers
never open it, so it needs no shared filesystem and no locking across machines.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

_SCHEMA = """
create table if not exists files (
    path text primary key,   -- the input, as given (path or URL)
    size integer,            -- bytes, when listed
    mtime real,              -- modification time, when listed (null where the store has none)
    sha256_in text,          -- of the bytes read
    sha256_out text,         -- of the output committed (null: no output)
    output text,             -- where the output is
    mode text,               -- strip-only | compress
    settings text,           -- JSON: mode, options, output folder
    result text,             -- JSON: the local CLI's report entry for this file
    error integer,           -- 1 when the file failed (the message is in result)
    privacy text,            -- JSON: categories carried and what became of them (no values)
    worker text,             -- the Dask worker that processed it
    run integer,             -- runs.id
    finished real            -- unix time
);
create table if not exists runs (
    id integer primary key,
    started real, finished real,
    settings text,
    status text              -- running | done | interrupted
);
"""


class Manifest:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path)
        self.db.execute("pragma journal_mode=wal")  # readers (an audit) never block the run
        # No fsync per batch: a power cut may lose the last batches' rows, which the next run
        # then redoes, and redoing is harmless (storage.commit).
        self.db.execute("pragma synchronous=normal")
        self.db.executescript(_SCHEMA)

    def close(self) -> None:
        self.db.close()

    def start_run(self, settings: str) -> int:
        with self.db:
            cursor = self.db.execute(
                "insert into runs (started, settings, status) values (?, ?, 'running')",
                (time.time(), settings),
            )
        return int(cursor.lastrowid or 0)

    def end_run(self, run: int, status: str) -> None:
        with self.db:
            self.db.execute("update runs set finished = ?, status = ? where id = ?",
                            (time.time(), status, run))  # fmt: skip

    def record(self, run: int, records: list[dict[str, Any]]) -> None:
        """Store one batch's records at once (replacing older rows of the same inputs)."""
        with self.db:
            self.db.executemany(
                "insert or replace into files values "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(r["path"], r["size"], r["mtime"], r["sha256_in"], r["sha256_out"], r["output"],
                  r["mode"], r["settings"], json.dumps(r["result"]),
                  int(r["result"]["error"] is not None), json.dumps(r["privacy"]), r["worker"],
                  run, r["finished"]) for r in records],
            )  # fmt: skip

    def rows(self, paths: list[str]) -> Iterator[dict[str, Any]]:
        """The rows of `paths` that exist, in the order given."""
        query = "select * from files where path in (select value from json_each(?))"
        names = None
        for start in range(0, len(paths), 10_000):
            chunk = paths[start : start + 10_000]
            cursor = self.db.execute(query, (json.dumps(chunk),))
            names = names or [c[0] for c in cursor.description]
            by_path = {row[0]: dict(zip(names, row, strict=True)) for row in cursor}
            yield from (by_path[p] for p in chunk if p in by_path)
