"""Text views of recorded runs: the table behind `ferbench runs` and the detail behind
`ferbench show` (the CLI prints `json.dumps(row)` itself for machine-readable output)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from tabulate import tabulate

RUN_FIELDS = ("task", "dataset", "protocol", "fold", "model", "plugin", "plugin_version", "seed",
              "config_hash", "recipe_hash", "manifest", "artifacts")
# Metrics shown as their own tables rather than as scalar lines.
STRUCTURED_METRICS = ("confusion_matrix", "class_names", "per_class_auc")


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


def runs_table(rows: list[dict]) -> str:
    """One line per run: id, status, what ran, its accuracy and macro-F1 (%), when, how long."""
    if not rows:
        return "No runs recorded."
    headers = ["id", "status", "model", "dataset", "protocol", "fold", "seed", "accuracy %",
               "macro-F1 %", "started", "duration"]
    table = []
    for row in rows:
        metrics = row.get("metrics") or {}
        table.append([row.get("id"), row.get("status"), row.get("model"), row.get("dataset"),
                      row.get("protocol"), _value(row.get("fold")), _value(row.get("seed")),
                      _percent(metrics.get("accuracy")), _percent(metrics.get("macro_f1")),
                      _time(row.get("started")), _duration(row)])
    return tabulate(table, headers=headers, disable_numparse=True)


def _metrics_detail(metrics: Mapping) -> list[str]:
    scalars = {k: v for k, v in metrics.items() if k not in STRUCTURED_METRICS}
    lines = [_key_values(scalars)] if scalars else []
    names = metrics.get("class_names") or []
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
    """Every field of one run: identity, times, metrics, timing, config, environment, error."""
    head = {key: row.get(key) for key in RUN_FIELDS}
    head.update(started=_time(row.get("started")), ended=_time(row.get("ended")),
                duration=_duration(row))
    lines = [f"run {row.get('id')} · {row.get('status')}", "", _key_values(head)]
    sections = [("metrics", row.get("metrics")), ("timing", row.get("timing")),
                ("config", row.get("config")), ("environment", row.get("environment"))]
    for title, content in sections:
        if content:
            if title == "metrics":
                body = _metrics_detail(content)
            else:
                body = [_key_values(content, exact=title in ("config", "environment"))]
            lines += ["", title, *body]
    if row.get("error"):
        lines += ["", "error", str(row["error"])]
    return "\n".join(lines)
