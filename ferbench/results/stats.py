"""Statistics for comparing recipes (scipy.stats): a bootstrap CI of the mean over folds and
seeds, a paired bootstrap over pooled test predictions and a Wilcoxon signed-rank test over
paired folds. Every bootstrap here is scipy's percentile bootstrap with a fixed seed, so a
leaderboard rebuilt from the same runs prints the same intervals."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

# Below this many pairs the two-sided exact Wilcoxon test cannot reach p < 0.05.
WILCOXON_MIN_PAIRS = 6
NO_POWER = (f"fewer than {WILCOXON_MIN_PAIRS} pairs: the Wilcoxon test has no power "
            "(p < 0.05 is unreachable)")


def bootstrap_ci(values: Sequence[float], confidence: float = 0.95, n_resamples: int = 10000,
                 seed: int = 0) -> tuple[float, float] | None:
    """Percentile bootstrap CI of the mean of `values` (one per fold and seed); None for
    fewer than 2 values."""
    data = np.asarray(values, dtype=float)
    if data.size < 2:
        return None
    result = stats.bootstrap((data,), np.mean, confidence_level=confidence,
                             n_resamples=n_resamples, method="percentile", vectorized=True,
                             random_state=np.random.default_rng(seed))
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


@dataclass(frozen=True)
class PairedDifference:
    """metric(B) − metric(A) on the pooled predictions, its bootstrap CI and p-value."""

    difference: float
    low: float
    high: float
    pvalue: float
    n: int  # resampling units (test items, or groups when given)
    confidence: float


def _value(metric: Callable, scores: np.ndarray, targets: np.ndarray | None) -> float:
    value = metric(scores, targets)
    return float("nan") if value is None else float(value)


def paired_bootstrap(scores_a: np.ndarray, scores_b: np.ndarray, targets: np.ndarray | None,
                     metric: Callable[[np.ndarray, np.ndarray | None], float | None],
                     n_resamples: int = 10000, seed: int = 0, *,
                     groups: Sequence | None = None,
                     confidence: float = 0.95) -> PairedDifference:
    """Paired bootstrap of metric(scores_b, targets) − metric(scores_a, targets).

    The two recipes' predictions for the same test items (rows aligned) are resampled
    together: each resample draws test items with replacement (or whole `groups`, e.g. the
    item keys when several seeds predicted the same face), and the difference is recomputed.
    `targets` None: the metric needs none (e.g. the mean of per-item scores) and gets None.
    CI: percentile bootstrap. p-value: two-sided, from the bootstrap distribution shifted to
    the null of no difference, (1 + #{|d* − d| ≥ |d|}) / (1 + n_resamples).
    """
    scores_a, scores_b = np.asarray(scores_a), np.asarray(scores_b)
    targets = None if targets is None else np.asarray(targets)
    n_rows = len(scores_a) if targets is None else len(targets)
    if not len(scores_a) == len(scores_b) == n_rows:
        raise ValueError(f"paired_bootstrap: {len(scores_a)}, {len(scores_b)} and "
                         f"{n_rows} rows; expected the same test items in each")
    codes = np.arange(n_rows) if groups is None else \
        np.unique(np.asarray(groups), return_inverse=True)[1]
    n_units = int(codes.max()) + 1 if len(codes) else 0
    rows = np.arange(n_rows)

    def difference(units: np.ndarray) -> float:
        picked = np.repeat(rows, np.bincount(units, minlength=n_units)[codes])
        truth = None if targets is None else targets[picked]
        return (_value(metric, scores_b[picked], truth)
                - _value(metric, scores_a[picked], truth))

    observed = difference(np.arange(n_units))
    result = stats.bootstrap((np.arange(n_units),), difference, confidence_level=confidence,
                             n_resamples=n_resamples, method="percentile", vectorized=False,
                             random_state=np.random.default_rng(seed))
    spread = np.abs(result.bootstrap_distribution - observed)
    extreme = int(np.count_nonzero(spread >= abs(observed)))
    return PairedDifference(observed, float(result.confidence_interval.low),
                            float(result.confidence_interval.high),
                            (1 + extreme) / (1 + n_resamples), n_units, confidence)


@dataclass(frozen=True)
class WilcoxonResult:
    """Two-sided Wilcoxon signed-rank test over paired folds; `note` says when it is weak."""

    statistic: float
    pvalue: float
    n: int
    note: str = ""


def _pairs(a: Mapping | Sequence, b: Mapping | Sequence) -> tuple[list[float], list[float]]:
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        keys = [key for key in a if key in b]
        return [a[key] for key in keys], [b[key] for key in keys]
    if isinstance(a, Mapping) or isinstance(b, Mapping) or len(a) != len(b):
        raise ValueError("wilcoxon_folds: expected two mappings keyed by fold, or two "
                         "sequences of the same length")
    return list(a), list(b)


def wilcoxon_folds(a_by_fold: Mapping | Sequence, b_by_fold: Mapping | Sequence
                   ) -> WilcoxonResult | None:
    """scipy.stats.wilcoxon on the paired values (mappings pair on their shared keys, e.g.
    (fold, seed); sequences pair by position). None without any pair."""
    a, b = _pairs(a_by_fold, b_by_fold)
    if not a:
        return None
    n = len(a)
    note = NO_POWER if n < WILCOXON_MIN_PAIRS else ""
    if np.array_equal(a, b):
        return WilcoxonResult(0.0, 1.0, n, "; ".join(filter(None, [note, "no differences"])))
    result = stats.wilcoxon(b, a)
    return WilcoxonResult(float(result.statistic), float(result.pvalue), n, note)
