"""`ferbench bench` records: their own table `bench` in the run store's SQLite file.

The file is opened through RunStore first, so that a new file becomes a proper run store
and a file that is not one is refused the same way `ferbench run` refuses it.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import UserError
from .store import RunStore

_SCHEMA = """
CREATE TABLE IF NOT EXISTS bench (
    id INTEGER PRIMARY KEY,
    created REAL NOT NULL,
    model TEXT NOT NULL,
    options TEXT NOT NULL,
    input TEXT NOT NULL,
    threads INTEGER,
    device TEXT,
    hardware TEXT,
    record TEXT NOT NULL,
    contaminated INTEGER NOT NULL
)
"""
CSV_COLUMNS = ("id", "created", "model", "model_options", "input", "threads", "device",
               "hardware", "precision", "latency_batch", "n_calls", "latency_ms_p50",
               "latency_ms_p90", "latency_ms_p99", "throughput_ips", "throughput_batch",
               "params", "gflops", "peak_memory_mb", "torch", "contaminated",
               "contaminated_reason")


@contextmanager
def _connect(db_path: str | Path) -> Iterator[sqlite3.Connection]:
    RunStore(db_path).close()
    conn = sqlite3.connect(db_path, timeout=30)
    try:
        with conn:
            conn.execute(_SCHEMA)
            yield conn
    except sqlite3.Error as exc:
        raise UserError(f"{db_path}: cannot use the bench table ({exc})") from None
    finally:
        conn.close()


def _options_key(options: dict) -> str:
    return json.dumps(options, sort_keys=True, default=str)


def save_bench(db_path: str | Path, record: dict) -> int:
    """Insert a `bench_model` record (its `created` is a Unix time); returns its id."""
    row = (record["created"], record["model"], _options_key(record["model_options"]),
           record["input"], record["threads"], record["device"], record["hardware"],
           json.dumps(record, default=str), int(bool(record["contaminated"])))
    with _connect(db_path) as conn:
        cursor = conn.execute(
            "INSERT INTO bench (created, model, options, input, threads, device, hardware, "
            "record, contaminated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
    return cursor.lastrowid


def latest_bench(db_path: str | Path) -> list[dict]:
    """The latest non-contaminated record per (model, options, input, threads, hardware),
    each with its `id`, sorted by model, input and threads."""
    if not Path(db_path).exists():
        return []
    with _connect(db_path) as conn:
        rows = conn.execute(
            "SELECT id, record FROM bench WHERE id IN ("
            " SELECT MAX(id) FROM bench WHERE contaminated = 0"
            " GROUP BY model, options, input, threads, hardware)"
            " ORDER BY model, input, threads, hardware, options").fetchall()
    return [{"id": id_, **json.loads(record)} for id_, record in rows]


def bench_csv(records: list[dict]) -> str:
    """Bench records as CSV (CSV_COLUMNS; model_options as JSON; missing values empty)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for record in records:
        values = {**record, "model_options": _options_key(record.get("model_options", {}))}
        writer.writerow(["" if values.get(c) is None else values[c] for c in CSV_COLUMNS])
    return out.getvalue()
