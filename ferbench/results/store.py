"""`RunStore`: one SQLite row per run (stdlib sqlite3, WAL mode, one transaction per write).

A run is inserted as 'running' (with the pid and host of its process and a heartbeat the
runner renews each epoch) and becomes 'finished' (metrics, timing, bookkeeping) or 'failed'
(error) in a single UPDATE, so a process killed mid-run leaves earlier runs intact and its
own row 'running', never half-recorded.

'interrupted' is computed on read, never stored: `get` and `list` report a 'running' row as
interrupted when its pid is dead on this host, or, on another host, when its last heartbeat
is older than `stale_after` seconds. A run reported interrupted that is in fact alive on a
slow remote host can still finish. `prune_interrupted` deletes interrupted rows.

A finished run is `superseded` when a later finished run has the same recipe hash, fold and
seed; it stays in the store (listed by `list(include_superseded=True)`).

Schema history: version 1 had no bookkeeping, pid, host or heartbeat columns; version 2
reused the id of a deleted newest row. Opening an older store adds the columns and rebuilds
the table with AUTOINCREMENT ids (one transaction), keeping every row and id.
"""

from __future__ import annotations

import json
import math
import os
import socket
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ferbench.errors import UserError

SCHEMA_VERSION = 3
STORED_STATUSES = ("running", "finished", "failed")
STATUSES = (*STORED_STATUSES, "interrupted")
STALE_AFTER = 600.0  # seconds without a heartbeat before a run on another host is interrupted
BUSY_TIMEOUT = 30.0  # seconds a write (or the switch to WAL) waits for another process's lock
JSON_COLUMNS = ("config", "metrics", "timing", "bookkeeping", "environment")
# Columns a caller sets in `start`; id, status, ended, metrics, timing, bookkeeping, error,
# pid, host and heartbeat are the store's.
RECORD_COLUMNS = ("started", "task", "dataset", "protocol", "fold", "model", "plugin",
                  "plugin_version", "config", "config_hash", "recipe_hash", "seed", "manifest",
                  "environment", "artifacts")
# Columns added by schema version 2, with their SQL types.
V2_COLUMNS = (("bookkeeping", "TEXT"), ("pid", "INTEGER"), ("host", "TEXT"),
              ("heartbeat", "REAL"))
COLUMNS = ("id", "status", "started", "ended", *RECORD_COLUMNS[1:], "metrics", "timing",
           "error", *(name for name, _ in V2_COLUMNS))
# Columns of a complete record given to `import_run` (the store assigns the id).
IMPORT_COLUMNS = COLUMNS[1:]
# Keys of a record read from a store that `import_run` ignores (computed on read).
COMPUTED_KEYS = ("id", "superseded")

_V1_COLUMNS = (
    ("id", "INTEGER PRIMARY KEY"),
    ("status", "TEXT NOT NULL CHECK (status IN ('running', 'finished', 'failed'))"),
    ("started", "REAL NOT NULL"), ("ended", "REAL"), ("task", "TEXT"), ("dataset", "TEXT"),
    ("protocol", "TEXT"), ("fold", "INTEGER"), ("model", "TEXT"), ("plugin", "TEXT"),
    ("plugin_version", "TEXT"), ("config", "TEXT"), ("config_hash", "TEXT"),
    ("recipe_hash", "TEXT"), ("seed", "INTEGER"), ("manifest", "TEXT"), ("metrics", "TEXT"),
    ("timing", "TEXT"), ("environment", "TEXT"), ("artifacts", "TEXT"), ("error", "TEXT"))


def _create_table(name: str, columns: tuple) -> str:
    return f"CREATE TABLE {name} (\n" + ",\n".join(f"    {c} {kind}" for c, kind in columns) + \
        "\n)"


_SCHEMA_V1 = _create_table("runs", _V1_COLUMNS)
_MIGRATE_V2 = [f"ALTER TABLE runs ADD COLUMN {name} {kind}" for name, kind in V2_COLUMNS] + [
    "CREATE INDEX IF NOT EXISTS runs_recipe ON runs (recipe_hash, fold, seed)"]
# Version 3 rebuilds the table with AUTOINCREMENT ids: a deleted run's id (a pruned or
# withdrawn run, cited in a note) is never given to a later run.
_V3_COLUMNS = (("id", "INTEGER PRIMARY KEY AUTOINCREMENT"), *_V1_COLUMNS[1:], *V2_COLUMNS)
_MIGRATE_V3 = [
    _create_table("runs_v3", _V3_COLUMNS),
    f"INSERT INTO runs_v3 ({', '.join(COLUMNS)}) SELECT {', '.join(COLUMNS)} FROM runs",
    "DROP TABLE runs", "ALTER TABLE runs_v3 RENAME TO runs",
    "CREATE INDEX runs_recipe ON runs (recipe_hash, fold, seed)"]

_VIEW = f"""
WITH runs_view AS (
    SELECT {", ".join(c for c in COLUMNS if c != "status")},
        CASE WHEN status = 'running' AND ferbench_interrupted(pid, host, heartbeat, started)
             THEN 'interrupted' ELSE status END AS status,
        (status = 'finished' AND recipe_hash IS NOT NULL AND EXISTS (
            SELECT 1 FROM runs AS newer
            WHERE newer.status = 'finished' AND newer.recipe_hash = runs.recipe_hash
              AND newer.fold IS runs.fold AND newer.seed IS runs.seed
              AND (newer.started, newer.id) > (runs.started, runs.id))) AS superseded
    FROM runs
)
SELECT {", ".join(COLUMNS)}, superseded FROM runs_view
"""


def _plain(value: Any) -> Any:
    """JSON-ready copy: numpy/tensor values via `tolist()`, paths as str, NaN/inf as None."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "tolist"):
        return _plain(value.tolist())
    return value


def _to_json(value: Any) -> str | None:
    return None if value is None else json.dumps(_plain(value), allow_nan=False)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def pid_alive(pid: int) -> bool:
    """Whether process `pid` runs on this host (a zombie counts as dead)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"


class RunStore:
    """The run database at `path` (created with its parent folders when missing)."""

    def __init__(self, path: str | Path, stale_after: float = STALE_AFTER):
        self.path = Path(path)
        self.stale_after = stale_after
        self.host = socket.gethostname()
        self._conn: sqlite3.Connection | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, isolation_level=None)
            self._conn.row_factory = sqlite3.Row
            self._conn.create_function("ferbench_interrupted", 4, self._interrupted)
            self._use_wal()
            self._create_schema()
        except UserError:
            self.close()
            raise
        except (OSError, sqlite3.Error) as exc:
            self.close()
            raise UserError(f"{self.path}: cannot open the run store ({_one_line(exc)}); "
                            "expected a writable SQLite file") from None

    def _use_wal(self) -> None:
        """Switch to WAL, waiting out another process's lock: SQLite answers the switch with
        SQLITE_BUSY at once, without its busy timeout (two processes opening one new store,
        e.g. the ranks of a torchrun job or a sweep's workers)."""
        deadline = time.monotonic() + BUSY_TIMEOUT
        while True:
            try:
                self._conn.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:  # SQLITE_BUSY's message (Python 3.10
                # has no error codes on exceptions)
                if "database is locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    def _interrupted(self, pid: int | None, host: str | None, heartbeat: float | None,
                     started: float) -> bool:
        if host == self.host and pid is not None:
            return not pid_alive(pid)
        last = heartbeat if heartbeat is not None else started
        return time.time() - last > self.stale_after

    def _version(self) -> int:
        return self._conn.execute("PRAGMA user_version").fetchone()[0]

    def _create_schema(self) -> None:
        if self._version() > SCHEMA_VERSION:
            raise UserError(f"{self.path}: run store schema {self._version()} is newer than "
                            f"this ferbench reads ({SCHEMA_VERSION}); upgrade ferbench")
        if self._version() == SCHEMA_VERSION:
            return
        with self._transaction() as conn:  # re-read: another process may have got here first
            version = self._version()
            if version == 0:
                tables = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                if tables.fetchall():
                    raise UserError(f"{self.path}: is a SQLite file but not a ferbench run "
                                    "store; expected an empty file or one written by ferbench")
                conn.execute(_SCHEMA_V1)
                version = 1
            if version == 1:
                for statement in _MIGRATE_V2:
                    conn.execute(statement)
                version = 2
            if version == 2:
                for statement in _MIGRATE_V3:
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any error."""
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            raise UserError(f"{self.path}: cannot write the run store ({_one_line(exc)})"
                            ) from None

    @staticmethod
    def _values(record: dict) -> dict[str, Any]:
        values = {}
        for key, value in record.items():
            if key in JSON_COLUMNS:
                values[key] = _to_json(value)
            else:
                values[key] = _plain(value)
                if isinstance(values[key], (dict, list)):
                    raise TypeError(f"run record key {key!r} takes a scalar, got {value!r}")
        return values

    @staticmethod
    def _insert(conn: sqlite3.Connection, values: dict[str, Any]) -> int:
        columns = ", ".join(values)
        marks = ", ".join("?" * len(values))
        cursor = conn.execute(f"INSERT INTO runs ({columns}) VALUES ({marks})",
                              tuple(values.values()))
        return cursor.lastrowid

    def start(self, record: dict) -> int:
        """Insert a 'running' run from `record` (keys: RECORD_COLUMNS) with this process's
        pid, host and a first heartbeat; return its id."""
        unknown = sorted(set(record) - set(RECORD_COLUMNS))
        if unknown:
            raise ValueError(f"unknown run record key(s) {unknown}; expected {RECORD_COLUMNS}")
        now = time.time()
        values = {"status": "running", "started": now, "pid": os.getpid(), "host": self.host,
                  "heartbeat": now, **self._values(record)}
        with self._transaction() as conn:
            return self._insert(conn, values)

    def _not_running(self, run_id: int, action: str) -> ValueError:
        current = self.get(run_id)
        state = "no such run" if current is None else f"status {current['status']!r}"
        return ValueError(f"run {run_id} is not running ({state}); cannot {action}")

    def heartbeat(self, run_id: int) -> None:
        """Renew a running run's heartbeat (the runner calls this each epoch)."""
        with self._transaction() as conn:
            cursor = conn.execute("UPDATE runs SET heartbeat = ? WHERE id = ? AND "
                                  "status = 'running'", (time.time(), run_id))
        if cursor.rowcount != 1:
            raise self._not_running(run_id, "renew its heartbeat")

    def _end(self, run_id: int, status: str, **fields: str | None) -> None:
        assignments = ", ".join(f"{key} = ?" for key in fields)
        with self._transaction() as conn:
            cursor = conn.execute(
                f"UPDATE runs SET status = ?, ended = ?, {assignments} "
                "WHERE id = ? AND status = 'running'",
                (status, time.time(), *fields.values(), run_id))
        if cursor.rowcount != 1:
            raise self._not_running(run_id, f"mark it {status}")

    def finish(self, run_id: int, metrics: dict, timing: dict,
               bookkeeping: dict | None = None) -> None:
        """Mark a running run 'finished' with its scores, timing and bookkeeping."""
        self._end(run_id, "finished", metrics=_to_json(metrics), timing=_to_json(timing),
                  bookkeeping=_to_json(bookkeeping))

    def fail(self, run_id: int, error: str) -> None:
        """Mark a running run 'failed' with its error message."""
        self._end(run_id, "failed", error=str(error))

    def import_run(self, record: dict) -> int:
        """Insert a complete finished or failed record (e.g. returned by a sweep worker) in
        one transaction and return its id in this store. Keys: IMPORT_COLUMNS (a record read
        from another store may carry its id and superseded flag; they are ignored). The same
        record imported twice (config hash, started, host and pid equal) keeps its first id."""
        values = {key: value for key, value in record.items() if key not in COMPUTED_KEYS}
        unknown = sorted(set(values) - set(IMPORT_COLUMNS))
        if unknown:
            raise ValueError(f"unknown run record key(s) {unknown}; expected {IMPORT_COLUMNS}")
        if values.get("status") not in ("finished", "failed"):
            raise ValueError(f"import_run: status {values.get('status')!r}; expected a "
                             "complete record, 'finished' or 'failed'")
        missing = [key for key in ("started", "ended") if values.get(key) is None]
        if missing:
            raise ValueError(f"import_run: missing {missing}; expected a complete record")
        values = self._values(values)
        with self._transaction() as conn:
            same = conn.execute(
                "SELECT id FROM runs WHERE config_hash IS ? AND started = ? AND host IS ? "
                "AND pid IS ?", (values.get("config_hash"), values["started"],
                                 values.get("host"), values.get("pid"))).fetchone()
            return same["id"] if same is not None else self._insert(conn, values)

    def prune_interrupted(self) -> int:
        """Delete the runs `list` reports as interrupted; return how many."""
        with self._transaction() as conn:
            cursor = conn.execute("DELETE FROM runs WHERE status = 'running' AND "
                                  "ferbench_interrupted(pid, host, heartbeat, started)")
        return cursor.rowcount

    @staticmethod
    def _decode(row: sqlite3.Row) -> dict:
        run = dict(row)
        for key in JSON_COLUMNS:
            if run[key] is not None:
                run[key] = json.loads(run[key])
        run["superseded"] = bool(run["superseded"])
        return run

    def get(self, run_id: int) -> dict | None:
        """The run with this id (JSON columns decoded, status and superseded computed)."""
        row = self._conn.execute(_VIEW + " WHERE id = ?", (run_id,)).fetchone()
        return None if row is None else self._decode(row)

    def list(self, *, status: str | None = None, model: str | None = None,
             dataset: str | None = None, task: str | None = None,
             include_superseded: bool = True, limit: int | None = None) -> list[dict]:
        """Runs matching the filters, newest first."""
        if status is not None and status not in STATUSES:
            raise UserError(f"unknown run status {status!r}; expected one of "
                            f"{', '.join(STATUSES)}")
        filters = {"status": status, "model": model, "dataset": dataset, "task": task}
        clauses = [f"{key} = ?" for key, value in filters.items() if value is not None]
        params: list[Any] = [value for value in filters.values() if value is not None]
        if not include_superseded:
            clauses.append("NOT superseded")
        sql = _VIEW
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        sql += " ORDER BY started DESC, id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(int(limit))
        return [self._decode(row) for row in self._conn.execute(sql, params)]
