"""AU-detection metrics (torchmetrics multilabel functions). Scores are probabilities
(N, A); targets uint8 (N, A) with 0 absent, 1 present and 255 unknown — unknown entries
are left out (torchmetrics' ignore_index), never counted as negatives.

An AU whose known test labels have no positive or no negative has an undefined ROC AUC:
it is None and left out of the mean, with the count of AUs averaged reported beside it.
"""

from __future__ import annotations

import warnings

import torch
from torchmetrics.functional.classification import multilabel_auroc, multilabel_f1_score

from ..specs import MetricSpec

UNKNOWN = 255


def binarize(scores: torch.Tensor, thresholds: torch.Tensor | float = 0.5) -> torch.Tensor:
    """Presence predictions at a fixed threshold or one threshold per AU."""
    return (scores >= torch.as_tensor(thresholds, dtype=scores.dtype)).long()


def per_au_f1(scores, targets, num_outputs, thresholds=0.5) -> list[float | None]:
    """F1 per AU at `thresholds` (scikit-learn's zero_division=0 when an AU has neither
    positives nor predicted positives); None for an AU with no known label."""
    targets = targets.long()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        f1 = multilabel_f1_score(binarize(scores.float(), thresholds), targets, num_outputs,
                                 average="none", ignore_index=UNKNOWN, zero_division=0)
    known = (targets != UNKNOWN).any(0)
    return [value if ok else None for value, ok in zip(f1.tolist(), known.tolist(), strict=True)]


def per_au_auc(scores, targets, num_outputs) -> list[float | None]:
    """ROC AUC per AU; None where the known labels lack a positive or a negative."""
    targets = targets.long()
    known = targets != UNKNOWN
    defined = ((targets == 1) & known).any(0) & ((targets == 0) & known).any(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        auc = multilabel_auroc(scores.float(), targets, num_outputs, average="none",
                               ignore_index=UNKNOWN)
    return [value if ok else None for value, ok in zip(auc.tolist(), defined.tolist(),
                                                       strict=True)]


def _mean(values: list[float | None]) -> float | None:
    defined = [v for v in values if v is not None]
    return sum(defined) / len(defined) if defined else None


def mean_f1(scores, targets, num_outputs) -> float | None:
    return _mean(per_au_f1(scores, targets, num_outputs))


def mean_auc(scores, targets, num_outputs) -> float | None:
    return _mean(per_au_auc(scores, targets, num_outputs))


def positive_rates(targets: torch.Tensor) -> list[float | None]:
    """Share of present labels among the known ones, per AU."""
    known = (targets != UNKNOWN).float()
    positives = (targets == 1).float()
    counts = known.sum(0)
    return [None if c == 0 else p / c for p, c in
            zip(positives.sum(0).tolist(), counts.tolist(), strict=True)]


_AU = "ferbench.metrics.au"
AU_METRICS = [
    MetricSpec(name="mean_f1", compute=f"{_AU}:mean_f1", tasks=("au",),
               summary="Mean over AUs of F1 at threshold 0.5 (unknown labels masked)"),
    MetricSpec(name="mean_auc", compute=f"{_AU}:mean_auc", tasks=("au",),
               summary="Mean over AUs with both classes of the per-AU ROC AUC"),
    MetricSpec(name="per_au_f1", compute=f"{_AU}:per_au_f1", tasks=("au",), scalar=False,
               summary="F1 of each AU at threshold 0.5"),
    MetricSpec(name="per_au_auc", compute=f"{_AU}:per_au_auc", tasks=("au",), scalar=False,
               summary="ROC AUC of each AU (None when undefined)"),
]
