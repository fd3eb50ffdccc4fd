"""`RunStore`: one SQLite row per run (stdlib sqlite3, WAL mode, one transaction per write).

A run is inserted as 'running' and becomes 'finished' (metrics, timing) or 'failed' (error)
in a single UPDATE, so a process killed mid-run leaves earlier runs intact and its own row
'running', never half-recorded.
"""

from __future__ import annotations

import json
import math
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ferbench.errors import UserError

SCHEMA_VERSION = 1
STATUSES = ("running", "finished", "failed")
JSON_COLUMNS = ("config", "metrics", "timing", "environment")
# Columns a caller sets in `start`; id, status, ended, metrics, timing and error are the store's.
RECORD_COLUMNS = ("started", "task", "dataset", "protocol", "fold", "model", "plugin",
                  "plugin_version", "config", "config_hash", "recipe_hash", "seed", "manifest",
                  "environment", "artifacts")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'failed')),
    started REAL NOT NULL,
    ended REAL,
    task TEXT,
    dataset TEXT,
    protocol TEXT,
    fold INTEGER,
    model TEXT,
    plugin TEXT,
    plugin_version TEXT,
    config TEXT,
    config_hash TEXT,
    recipe_hash TEXT,
    seed INTEGER,
    manifest TEXT,
    metrics TEXT,
    timing TEXT,
    environment TEXT,
    artifacts TEXT,
    error TEXT
)
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


class RunStore:
    """The run database at `path` (created with its parent folders when missing)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._conn: sqlite3.Connection | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(self.path, timeout=30)
            self._conn.row_factory = sqlite3.Row
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._create_schema()
        except UserError:
            self.close()
            raise
        except (OSError, sqlite3.Error) as exc:
            self.close()
            raise UserError(f"{self.path}: cannot open the run store ({_one_line(exc)}); "
                            "expected a writable SQLite file") from None

    def _create_schema(self) -> None:
        version = self._conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise UserError(f"{self.path}: run store schema {version} is newer than this "
                            f"ferbench reads ({SCHEMA_VERSION}); upgrade ferbench")
        if version == 0:
            tables = self._conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if tables.fetchall():
                raise UserError(f"{self.path}: is a SQLite file but not a ferbench run store; "
                                "expected an empty file or one written by ferbench")
            with self._conn:
                self._conn.execute(_SCHEMA)
                self._conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

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
        try:
            with self._conn:
                yield self._conn
        except sqlite3.OperationalError as exc:
            raise UserError(f"{self.path}: cannot write the run store ({_one_line(exc)})"
                            ) from None

    def start(self, record: dict) -> int:
        """Insert a 'running' run from `record` (keys: RECORD_COLUMNS) and return its id."""
        unknown = sorted(set(record) - set(RECORD_COLUMNS))
        if unknown:
            raise ValueError(f"unknown run record key(s) {unknown}; expected {RECORD_COLUMNS}")
        values = {"status": "running", "started": time.time()}
        for key, value in record.items():
            if key in JSON_COLUMNS:
                values[key] = _to_json(value)
            else:
                values[key] = _plain(value)
                if isinstance(values[key], (dict, list)):
                    raise TypeError(f"run record key {key!r} takes a scalar, got {value!r}")
        columns = ", ".join(values)
        marks = ", ".join("?" * len(values))
        with self._transaction() as conn:
            cursor = conn.execute(f"INSERT INTO runs ({columns}) VALUES ({marks})",
                                  tuple(values.values()))
        return cursor.lastrowid

    def _end(self, run_id: int, status: str, **fields: str | None) -> None:
        assignments = ", ".join(f"{key} = ?" for key in fields)
        with self._transaction() as conn:
            cursor = conn.execute(
                f"UPDATE runs SET status = ?, ended = ?, {assignments} "
                "WHERE id = ? AND status = 'running'",
                (status, time.time(), *fields.values(), run_id))
        if cursor.rowcount != 1:
            current = self.get(run_id)
            state = "no such run" if current is None else f"status {current['status']!r}"
            raise ValueError(f"run {run_id} is not running ({state}); cannot mark it {status}")

    def finish(self, run_id: int, metrics: dict, timing: dict) -> None:
        """Mark a running run 'finished' with its metrics and timing."""
        self._end(run_id, "finished", metrics=_to_json(metrics), timing=_to_json(timing))

    def fail(self, run_id: int, error: str) -> None:
        """Mark a running run 'failed' with its error message."""
        self._end(run_id, "failed", error=str(error))

    @staticmethod
    def _decode(row: sqlite3.Row) -> dict:
        run = dict(row)
        for key in JSON_COLUMNS:
            if run[key] is not None:
                run[key] = json.loads(run[key])
        return run

    def get(self, run_id: int) -> dict | None:
        """The run with this id (JSON columns decoded), or None."""
        row = self._conn.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        return None if row is None else self._decode(row)

    def list(self, *, status: str | None = None, model: str | None = None,
             dataset: str | None = None, limit: int | None = None) -> list[dict]:
        """Runs matching the filters, newest first."""
        if status is not None and status not in STATUSES:
            raise UserError(f"unknown run status {status!r}; expected one of "
                            f"{', '.join(STATUSES)}")
        filters = {"status": status, "model": model, "dataset": dataset}
        clauses = [f"{key} = ?" for key, value in filters.items() if value is not None]
        params: list[Any] = [value for value in filters.values() if value is not None]
        sql = "SELECT * FROM runs"
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        sql += " ORDER BY started DESC, id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(int(limit))
        return [self._decode(row) for row in self._conn.execute(sql, params)]
