"""`ferbench compare A B`: two recipes (or runs) on identical splits, metric by metric.

A and B name a run id (digits), a recipe hash (or a unique prefix of at least 6
characters), or a model with a single recipe among the finished runs. A recipe counts its
latest finished run per (fold, seed). Runs are paired by split manifest and seed; without
any pair the comparison is refused. For every scalar metric both sides recorded it reports
the mean of the paired differences B − A and the Wilcoxon signed-rank test over the pairs;
for the metrics it can recompute from the runs' `predictions.npz` (scores, targets, keys) it
adds a paired bootstrap of the difference over the pooled test predictions (items resampled
by key, so a face predicted under several seeds is one unit). Transfer runs pair their
(source, target) triples by key instead and bootstrap the mean of each metric's per-triple
values (`<metric>_per_item` in predictions.npz: SSIM, PSNR, L1, NME over detected faces,
expression consistency), resampling triples; a metric without per-item values gets a note.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping
from dataclasses import asdict
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from tabulate import tabulate

from ferbench.errors import UserError
from ferbench.results.stats import PairedDifference, paired_bootstrap, wilcoxon_folds
from ferbench.tasks.transfer import TransferTask

PREDICTIONS = "predictions.npz"
TRIPLE_KEYS = ("source_keys", "target_keys")
PER_ITEM = "_per_item"
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
    """Runs of A and B with the same split manifest and seed, in A's order; refused when A
    and B are runs of different tasks (an expression and a transfer run on one split)."""
    tasks = {side: sorted({str(run.get("task")) for run in runs})
             for side, runs in (("A", a), ("B", b))}
    if tasks["A"] != tasks["B"] or len(tasks["A"]) != 1:
        raise UserError(f"compare: A is task {'/'.join(tasks['A'])} and B task "
                        f"{'/'.join(tasks['B'])}; expected two recipes of one task")
    by_split = {(run.get("manifest"), run.get("seed")): run for run in b}
    pairs = [(run, by_split[key]) for run in a
             if (key := (run.get("manifest"), run.get("seed"))) in by_split
             and key[0] is not None]
    if not pairs:
        raise UserError("compare: no run of A shares a split manifest and seed with a run of "
                        "B; a paired comparison needs identical splits (same dataset, "
                        "protocol, folds and seeds)")
    return pairs


def _predictions_file(run: dict) -> Path | None:
    path = Path(run.get("artifacts") or "") / PREDICTIONS
    return path if run.get("artifacts") and path.is_file() else None


def load_predictions(run: dict) -> dict[str, np.ndarray] | None:
    """The run's predictions.npz (scores, targets, keys), or None when it has none."""
    path = _predictions_file(run)
    if path is None:
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


def load_triples(run: dict) -> dict | None:
    """A transfer run's predictions.npz as {"triples": [(source key, target key), ...],
    "per_item": {metric: values}}, or None when it has none."""
    path = _predictions_file(run)
    if path is None:
        return None
    with np.load(path, allow_pickle=False) as data:
        missing = set(TRIPLE_KEYS) - set(data.files)
        if missing:
            raise UserError(f"{path}: lacks {sorted(missing)}; expected source_keys, "
                            "target_keys and <metric>_per_item arrays as ferbench run writes "
                            "them for the transfer task")
        triples = list(zip(data["source_keys"].tolist(), data["target_keys"].tolist(),
                           strict=True))
        per_item = {name.removesuffix(PER_ITEM): data[name] for name in data.files
                    if name.endswith(PER_ITEM)}
    for name, values in per_item.items():
        if len(values) != len(triples):
            raise UserError(f"{path}: {name}{PER_ITEM} holds {len(values)} values for "
                            f"{len(triples)} triples; expected one per triple")
    return {"triples": triples, "per_item": per_item}


def _aligned_triples(run_a: dict, run_b: dict, a: dict, b: dict) -> np.ndarray:
    """Rows of B's triples in A's triple order (the same (source, target) keys)."""
    order = {triple: i for i, triple in enumerate(b["triples"])}
    if sorted(order) != sorted(a["triples"]) or len(order) != len(b["triples"]):
        raise UserError(f"compare: runs {run_a['id']} and {run_b['id']} share the split "
                        f"manifest {run_a.get('manifest')} but their predictions.npz hold "
                        "different (source, target) transfer triples")
    return np.array([order[triple] for triple in a["triples"]], dtype=np.int64)


def _pooled_triples(pairs: list[tuple[dict, dict]]) -> tuple[dict | None, list[int]]:
    """Per-item values of both sides pooled over the pairs in A's triple order, for the
    metrics every paired run holds: {"a": {metric: values}, "b": ..., "groups": each row's
    triple as its rank among the sorted distinct (source, target) triples (so swapping A and
    B mirrors the bootstrap), "lacking": {metric: ids of the runs without its values}}; and
    the ids of runs without predictions."""
    parts, missing = [], []
    for run_a, run_b in pairs:
        a, b = load_triples(run_a), load_triples(run_b)
        missing += [run["id"] for run, data in ((run_a, a), (run_b, b)) if data is None]
        if a is not None and b is not None:
            rows = _aligned_triples(run_a, run_b, a, b)
            parts.append({"a": a, "b": {**b, "per_item": {
                name: values[rows] for name, values in b["per_item"].items()}},
                "ids": (run_a["id"], run_b["id"])})
    if missing or not parts:
        return None, missing
    held = {run_id: set(part[side]["per_item"]) for part in parts
            for side, run_id in zip("ab", part["ids"], strict=True)}
    shared = set.intersection(*held.values())
    lacking = {name: [run_id for run_id, names in held.items() if name not in names]
               for name in set.union(*held.values()) - shared}
    triples = [triple for part in parts for triple in part["a"]["triples"]]
    codes = {triple: i for i, triple in enumerate(sorted(set(triples)))}
    return {**{side: {name: np.concatenate([part[side]["per_item"][name] for part in parts])
                      for name in shared} for side in "ab"},
            "groups": np.array([codes[triple] for triple in triples], dtype=np.int64),
            "lacking": lacking}, missing


def _mean_of_detected(values: np.ndarray, _targets: None) -> float | None:
    """Mean of the per-item values, NaN (an NME detection failure) left out."""
    kept = values[~np.isnan(values)]
    return float(kept.mean()) if kept.size else None


def _triple_bootstrap(pooled: dict | None, n_resamples: int, seed: int,
                      name: str) -> PairedDifference | None:
    """Paired bootstrap of the mean per-item value of `name`, resampling triples."""
    if pooled is None or name not in pooled["a"]:
        return None
    return paired_bootstrap(pooled["a"][name], pooled["b"][name], None, _mean_of_detected,
                            n_resamples, seed, groups=pooled["groups"])


def _prediction_bootstrap(pooled: dict | None, metrics: Mapping[str, Metric],
                          n_resamples: int, seed: int, name: str) -> PairedDifference | None:
    """Paired bootstrap of metric `name` recomputed on the pooled predictions, by item key."""
    if pooled is None or name not in metrics:
        return None
    return paired_bootstrap(pooled["scores_a"], pooled["scores_b"], pooled["targets"],
                            metrics[name], n_resamples, seed, groups=pooled["keys"])


def _per_item_notes(pooled: dict | None, rows: list[dict], run_ids: set[int]) -> list[str]:
    """Which compared metrics lack per-item values, and in which runs' predictions.npz."""
    if pooled is None:
        return []
    by_runs: dict[tuple[int, ...], list[str]] = {}
    for row in rows:
        if row["bootstrap"] is None:
            runs = tuple(sorted(pooled["lacking"].get(row["metric"], run_ids)))
            by_runs.setdefault(runs, []).append(row["metric"])
    return [f"no per-item values of {', '.join(names)} in "
            + (f"any run's {PREDICTIONS}" if set(runs) == run_ids
               else f"the {PREDICTIONS} of run(s) {', '.join(map(str, runs))}")
            + ": no paired bootstrap for them" for runs, names in by_runs.items()]


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if value == value else None


def compare(store, a: str, b: str,
            metrics: Callable[[str], Mapping[str, Metric]] | None = None,
            n_resamples: int = 2000, seed: int = 0) -> dict:
    """The comparison of A and B as a JSON-ready dict (see the module docstring).
    `metrics(task)` maps metric names to functions (scores, targets) -> value, recomputed on
    the pooled predictions for the paired bootstrap; transfer runs need none (their
    predictions.npz holds per-item values)."""
    if n_resamples < 1:
        raise UserError(f"--resamples: expected a positive integer, got {n_resamples}")
    label_a, runs_a = resolve(store, a)
    label_b, runs_b = resolve(store, b)
    pairs = pair_runs(runs_a, runs_b)
    transfer = pairs[0][0].get("task") == TransferTask.name
    if transfer:
        pooled, missing = _pooled_triples(pairs)
        bootstrap = partial(_triple_bootstrap, pooled, n_resamples, seed)
    else:
        metrics = metrics(pairs[0][0].get("task")) if metrics else {}
        pooled, missing = _pooled(pairs) if metrics else (None, [])
        bootstrap = partial(_prediction_bootstrap, pooled, metrics, n_resamples, seed)
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
        boot = bootstrap(name)
        rows.append({"metric": name, "mean_a": statistics.mean(x for x, _ in values),
                     "mean_b": statistics.mean(y for _, y in values),
                     "mean_difference": statistics.mean(y - x for x, y in values),
                     "n": len(values), "wilcoxon": asdict(test),
                     "bootstrap": None if boot is None else asdict(boot)})
    notes = []
    unpaired = len(runs_a) + len(runs_b) - 2 * len(pairs)
    if unpaired:
        notes.append(f"{unpaired} run(s) without a partner on the same split left out")
    if missing:
        notes.append(f"no {PREDICTIONS} for run(s) {', '.join(map(str, sorted(missing)))}: "
                     "no paired bootstrap")
    if transfer:
        notes += _per_item_notes(pooled, rows, {run["id"] for pair in pairs for run in pair})
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
