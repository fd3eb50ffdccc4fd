"""`ferbench compare A B`: two recipes (or runs) on identical splits, metric by metric.

A and B name a run id (digits), a recipe hash (or a unique prefix of at least 6
characters), or a model with a single recipe among the finished runs. A recipe counts its
latest finished run per (fold, seed). Runs are paired by split manifest and seed; without
any pair the comparison is refused. For every scalar metric both sides recorded it reports
the mean of the paired differences B − A and the Wilcoxon signed-rank test over the pairs;
for the metrics it can recompute from the runs' `predictions.npz` (scores, targets, keys) it
adds a paired bootstrap of the difference over the pooled test predictions (items resampled
by key, so a face predicted under several seeds is one unit).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
from tabulate import tabulate

from ferbench.errors import UserError
from ferbench.results.stats import paired_bootstrap, wilcoxon_folds

PREDICTIONS = "predictions.npz"
MIN_HASH_PREFIX = 6
# Bookkeeping that schema-1 records kept among their metrics: not scores, never compared.
SCHEMA1_BOOKKEEPING = {"epochs", "best_epoch", "val_accuracy", "skipped_samples", "n_test"}
Metric = Callable[[np.ndarray, np.ndarray], float | None]


def _latest_per_fold_and_seed(runs: list[dict]) -> list[dict]:
    latest: dict[tuple, dict] = {}
    for run in sorted(runs, key=lambda r: (r.get("started") or 0, r.get("id") or 0)):
        latest[(run.get("fold"), run.get("seed"))] = run
    return list(latest.values())


def resolve(store, name: str) -> tuple[str, list[dict]]:
    """(label, runs) named by a run id, a recipe hash (or unique prefix) or a model name."""
    if name.isdigit() and len(name) < 10:
        run = store.get(int(name))
        if run is None or run["status"] != "finished":
            state = "no such run" if run is None else f"status {run['status']}"
            raise UserError(f"compare: run {name}: {state}; expected a finished run "
                            "(see `ferbench runs`)")
        return f"run {name} ({run['model']})", [run]
    finished = store.list(status="finished")
    hashes = sorted({r["recipe_hash"] for r in finished if r.get("recipe_hash") and (
        r["recipe_hash"] == name or (len(name) >= MIN_HASH_PREFIX
                                     and r["recipe_hash"].startswith(name)))})
    if len(hashes) > 1:
        raise UserError(f"compare: '{name}' is a prefix of {len(hashes)} recipe hashes "
                        f"({', '.join(hashes)}); give more characters")
    if not hashes:
        hashes = sorted({r["recipe_hash"] for r in finished if r.get("model") == name})
        if len(hashes) > 1:
            raise UserError(f"compare: model '{name}' has {len(hashes)} recipes "
                            f"({', '.join(hashes)}); name one by its recipe hash")
    if not hashes:
        raise UserError(f"compare: '{name}' names no finished run, recipe hash or model; "
                        "expected one listed by `ferbench runs`")
    runs = _latest_per_fold_and_seed([r for r in finished if r["recipe_hash"] == hashes[0]])
    return f"{runs[-1]['model']} (recipe {hashes[0]})", runs


def pair_runs(a: list[dict], b: list[dict]) -> list[tuple[dict, dict]]:
    """Runs of A and B with the same split manifest and seed, in A's order."""
    by_split = {(run.get("manifest"), run.get("seed")): run for run in b}
    pairs = [(run, by_split[key]) for run in a
             if (key := (run.get("manifest"), run.get("seed"))) in by_split
             and key[0] is not None]
    if not pairs:
        raise UserError("compare: no run of A shares a split manifest and seed with a run of "
                        "B; a paired comparison needs identical splits (same dataset, "
                        "protocol, folds and seeds)")
    return pairs


def load_predictions(run: dict) -> dict[str, np.ndarray] | None:
    """The run's predictions.npz (scores, targets, keys), or None when it has none."""
    path = Path(run.get("artifacts") or "") / PREDICTIONS
    if not run.get("artifacts") or not path.is_file():
        return None
    with np.load(path, allow_pickle=False) as data:
        missing = {"scores", "targets", "keys"} - set(data.files)
        if missing:
            raise UserError(f"{path}: lacks {sorted(missing)}; expected scores, targets and "
                            "keys as ferbench run writes them")
        return {key: data[key] for key in ("scores", "targets", "keys")}


def _aligned(run_a: dict, run_b: dict, a: dict, b: dict) -> dict[str, np.ndarray]:
    """B's predictions in A's item order (the same test items by key)."""
    order = {key: i for i, key in enumerate(b["keys"].tolist())}
    if sorted(order) != sorted(a["keys"].tolist()) or len(order) != len(b["keys"]):
        raise UserError(f"compare: runs {run_a['id']} and {run_b['id']} share the split "
                        f"manifest {run_a.get('manifest')} but their predictions.npz hold "
                        "different test items")
    rows = np.array([order[key] for key in a["keys"].tolist()], dtype=np.int64)
    if not np.array_equal(a["targets"], b["targets"][rows]):
        raise UserError(f"compare: runs {run_a['id']} and {run_b['id']} disagree on the "
                        "targets of the same test items")
    return {"scores": b["scores"][rows]}


def _pooled(pairs: list[tuple[dict, dict]]) -> tuple[dict | None, list[int]]:
    """Pooled aligned predictions of both sides, and the ids of runs without predictions."""
    parts, missing = [], []
    for run_a, run_b in pairs:
        a, b = load_predictions(run_a), load_predictions(run_b)
        missing += [run["id"] for run, data in ((run_a, a), (run_b, b)) if data is None]
        if a is not None and b is not None:
            parts.append((a, _aligned(run_a, run_b, a, b)))
    if missing or not parts:
        return None, missing
    return {"scores_a": np.concatenate([a["scores"] for a, _ in parts]),
            "scores_b": np.concatenate([b["scores"] for _, b in parts]),
            "targets": np.concatenate([a["targets"] for a, _ in parts]),
            "keys": np.concatenate([a["keys"] for a, _ in parts])}, missing


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if value == value else None


def compare(store, a: str, b: str,
            metrics: Callable[[str], Mapping[str, Metric]] | None = None,
            n_resamples: int = 2000, seed: int = 0) -> dict:
    """The comparison of A and B as a JSON-ready dict (see the module docstring).
    `metrics(task)` maps metric names to functions (scores, targets) -> value, recomputed on
    the pooled predictions for the paired bootstrap."""
    if n_resamples < 1:
        raise UserError(f"--resamples: expected a positive integer, got {n_resamples}")
    label_a, runs_a = resolve(store, a)
    label_b, runs_b = resolve(store, b)
    pairs = pair_runs(runs_a, runs_b)
    metrics = metrics(pairs[0][0].get("task")) if metrics else {}
    pooled, missing = _pooled(pairs) if metrics else (None, [])
    names = [name for name, value in (pairs[0][0].get("metrics") or {}).items()
             if _number(value) is not None and name not in SCHEMA1_BOOKKEEPING]
    rows = []
    for name in names:
        values = [(_number((x.get("metrics") or {}).get(name)),
                   _number((y.get("metrics") or {}).get(name))) for x, y in pairs]
        values = [(x, y) for x, y in values if x is not None and y is not None]
        if not values:
            continue
        test = wilcoxon_folds([x for x, _ in values], [y for _, y in values])
        boot = None
        if pooled is not None and name in metrics:
            boot = asdict(paired_bootstrap(pooled["scores_a"], pooled["scores_b"],
                                           pooled["targets"], metrics[name], n_resamples,
                                           seed, groups=pooled["keys"]))
        rows.append({"metric": name, "mean_a": statistics.mean(x for x, _ in values),
                     "mean_b": statistics.mean(y for _, y in values),
                     "mean_difference": statistics.mean(y - x for x, y in values),
                     "n": len(values), "wilcoxon": asdict(test), "bootstrap": boot})
    notes = []
    unpaired = len(runs_a) + len(runs_b) - 2 * len(pairs)
    if unpaired:
        notes.append(f"{unpaired} run(s) without a partner on the same split left out")
    if missing:
        notes.append(f"no {PREDICTIONS} for run(s) {', '.join(map(str, sorted(missing)))}: "
                     "no paired bootstrap")
    by_note: dict[str, list[str]] = {}
    for row in rows:
        if row["wilcoxon"]["note"]:
            by_note.setdefault(row["wilcoxon"]["note"], []).append(row["metric"])
    notes += [f"Wilcoxon: {note} ({', '.join(names)})" for note, names in by_note.items()]
    return {"a": {"label": label_a, "runs": [x["id"] for x, _ in pairs]},
            "b": {"label": label_b, "runs": [y["id"] for _, y in pairs]},
            "pairs": len(pairs), "n_resamples": n_resamples, "seed": seed,
            "metrics": rows, "notes": notes}


def _p(value: float | None) -> str:
    return "—" if value is None or value != value else f"{value:.3g}"


def comparison_table(result: dict) -> str:
    """The comparison as text: who is compared, a tabulate table, notes."""
    headers = ["metric", "A", "B", "Δ B − A (mean over pairs)", "Wilcoxon p", "n pairs",
               "Δ pooled [95 % CI]", "bootstrap p"]
    table = []
    for row in result["metrics"]:
        boot = row["bootstrap"]
        pooled = "—" if boot is None else \
            f"{boot['difference']:+.4g} [{boot['low']:+.4g}, {boot['high']:+.4g}]"
        table.append([row["metric"], f"{row['mean_a']:.4g}", f"{row['mean_b']:.4g}",
                      f"{row['mean_difference']:+.4g}", _p(row["wilcoxon"]["pvalue"]),
                      row["n"], pooled, _p(None if boot is None else boot["pvalue"])])
    lines = [f"A: {result['a']['label']}, runs {result['a']['runs']}",
             f"B: {result['b']['label']}, runs {result['b']['runs']}",
             f"{result['pairs']} paired split(s); paired bootstrap: {result['n_resamples']} "
             f"resamples of the pooled test items, seed {result['seed']}", "",
             tabulate(table, headers=headers, disable_numparse=True)]
    lines += ["", *(f"note: {note}" for note in result["notes"])] if result["notes"] else []
    return "\n".join(lines)


def registry_metrics(registry, task: str, names: list[str] | None = None) -> dict[str, Metric]:
    """The scalar metrics registered for `task` (optionally only `names`) as functions of
    numpy (scores, targets), for `compare`. Imports torch when called."""
    import torch

    def wrap(fn: Callable) -> Metric:
        def metric(scores: np.ndarray, targets: np.ndarray) -> float | None:
            return fn(torch.from_numpy(scores).float(), torch.from_numpy(targets).long(),
                      scores.shape[1])
        return metric

    return {spec.name: wrap(spec.fn()) for spec in registry.find("metrics")
            if spec.scalar and task in spec.tasks and (names is None or spec.name in names)}
