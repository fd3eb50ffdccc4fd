"""Text views of recorded runs: the table behind `ferbench runs` and the detail behind
`ferbench show` (the CLI prints `json.dumps(row)` itself for machine-readable output).

Views read a task's `columns`, `detail_tables` and `plot_artifacts` from the Task objects
they are given (`ferbench.tasks.Task`); a task without one is shown expression-shaped.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tabulate import tabulate

from ..tasks.base import Column

RUN_FIELDS = ("task", "dataset", "protocol", "fold", "model", "plugin", "plugin_version", "seed",
              "config_hash", "recipe_hash", "manifest", "artifacts", "host", "pid")
# Metrics shown as their own tables rather than as scalar lines.
STRUCTURED_METRICS = ("confusion_matrix", "class_names", "per_class_auc")


@dataclass(frozen=True)
class TaskShape:
    """What the views read of a Task, for a task whose Task object is not at hand."""

    name: str
    columns: tuple = ()
    detail_tables: tuple = ()
    plot_artifacts: tuple = ()
    image_artifacts: tuple = ()
    selection: str = "val_accuracy"


EXPRESSION_SHAPE = TaskShape("expression", columns=(
    Column("accuracy", "accuracy %", percent=True),
    Column("macro_f1", "macro-F1 %", percent=True),
    Column("macro_auc", "macro AUC %", percent=True)))


def task_shape(name: str | None, tasks: Mapping[str, Any] | None):
    """The Task called `name` in `tasks`, else the expression-shaped default."""
    return (tasks or {}).get(name) or EXPRESSION_SHAPE


def main_column(task):
    """The column that ranks a task's tables: its first ranked column."""
    return next((c for c in task.columns if c.ranked), None)


def _time(stamp: float | None) -> str:
    return "—" if stamp is None else datetime.fromtimestamp(stamp).strftime("%Y-%m-%d %H:%M:%S")


def _duration(row: Mapping) -> str:
    if row.get("started") is None or row.get("ended") is None:
        return "—"
    return str(timedelta(seconds=round(row["ended"] - row["started"])))


def _percent(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "—"
    return f"{100 * value:.2f}"


def _value(value: Any, exact: bool = False) -> str:
    """A measured float to 6 significant digits; config values (`exact`) as given."""
    if value is None:
        return "—"
    if isinstance(value, float) and not exact:
        return f"{value:.6g}"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def _key_values(mapping: Mapping, exact: bool = False) -> str:
    return tabulate([(key, _value(value, exact)) for key, value in mapping.items()],
                    tablefmt="plain", disable_numparse=True)


def column_value(value: Any, column) -> str:
    """A scalar metric in its column's unit ("—" when missing)."""
    if column.percent:
        return _percent(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "—"
    return f"{value:.4g}"


def _score(row: Mapping, tasks: Mapping[str, Any] | None) -> str:
    column = main_column(task_shape(row.get("task"), tasks))
    value = (row.get("metrics") or {}).get(column.key) if column else None
    return "—" if value is None else f"{column.header} {column_value(value, column)}"


def _status(row: Mapping) -> str:
    return f"{row.get('status')} (superseded)" if row.get("superseded") else str(row.get("status"))


def runs_table(rows: list[dict], tasks: Mapping[str, Any] | None = None) -> str:
    """One line per run: id, status (superseded runs marked), task, what ran, its main score
    (the first ranked column of its task), when, how long."""
    if not rows:
        return "No runs recorded."
    headers = ["id", "status", "task", "model", "dataset", "protocol", "fold", "seed",
               "main score", "started", "duration"]
    table = []
    for row in rows:
        table.append([row.get("id"), _status(row), row.get("task") or "—", row.get("model"),
                      row.get("dataset"), row.get("protocol"), _value(row.get("fold")),
                      _value(row.get("seed")), _score(row, tasks), _time(row.get("started")),
                      _duration(row)])
    return tabulate(table, headers=headers, disable_numparse=True)


def _metrics_detail(metrics: Mapping, bookkeeping: Mapping) -> list[str]:
    scalars = {k: v for k, v in metrics.items() if k not in STRUCTURED_METRICS}
    lines = [_key_values(scalars)] if scalars else []
    names = bookkeeping.get("class_names") or metrics.get("class_names") or []
    aucs = metrics.get("per_class_auc") or []
    if aucs:
        labels = names if len(names) == len(aucs) else range(len(aucs))
        rows = zip(labels, map(_value, aucs), strict=True)
        lines += ["", tabulate(rows, headers=["class", "AUC"], disable_numparse=True)]
    matrix = metrics.get("confusion_matrix") or []
    if matrix:
        labels = names if len(names) == len(matrix) else range(len(matrix))
        lines += ["", "confusion matrix (rows: true, columns: predicted)",
                  tabulate([[label, *counts] for label, counts in zip(labels, matrix, strict=True)],
                           headers=["", *labels])]
    return lines


def run_detail(row: dict) -> str:
    """Every field of one run: identity, times, metrics, bookkeeping, timing, config,
    environment, error."""
    head = {key: row.get(key) for key in RUN_FIELDS}
    head.update(started=_time(row.get("started")), ended=_time(row.get("ended")),
                duration=_duration(row), heartbeat=_time(row.get("heartbeat")))
    lines = [f"run {row.get('id')} · {_status(row)}", "", _key_values(head)]
    sections = [("metrics", row.get("metrics")), ("bookkeeping", row.get("bookkeeping")),
                ("timing", row.get("timing")), ("config", row.get("config")),
                ("environment", row.get("environment"))]
    for title, content in sections:
        if content:
            if title == "metrics":
                body = _metrics_detail(content, row.get("bookkeeping") or {})
            else:
                body = [_key_values(content, exact=title in ("config", "environment"))]
            lines += ["", title, *body]
    if row.get("error"):
        lines += ["", "error", str(row["error"])]
    return "\n".join(lines)
