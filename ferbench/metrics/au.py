"""AU-detection metrics (torchmetrics binary functions, one AU column at a time).

Scores are probabilities (N, A); targets uint8 (N, A) with 0 absent, 1 present and 255
unknown: unknown entries are left out (torchmetrics' ignore_index), never counted as
negatives.

An AU whose known test labels have no positive or no negative has an undefined ROC AUC:
it is None and left out of the mean, with the count of AUs averaged reported beside it.
"""

from __future__ import annotations

import warnings

import torch
from torchmetrics.functional.classification import binary_auroc, binary_f1_score

from ..data.aus import UNKNOWN


def binarize(scores: torch.Tensor, thresholds: torch.Tensor | float = 0.5) -> torch.Tensor:
    """Presence predictions at a fixed threshold or one threshold per AU."""
    return (scores >= torch.as_tensor(thresholds, dtype=scores.dtype)).long()


def per_au_f1(scores, targets, num_outputs, thresholds=0.5) -> list[float | None]:
    """F1 per AU at `thresholds` (scikit-learn's zero_division=0 when an AU has neither
    positives nor predicted positives); None for an AU with no known label."""
    targets = targets.long()
    preds = binarize(scores.float(), thresholds)
    out = []
    for j in range(num_outputs):
        if not (targets[:, j] != UNKNOWN).any():
            out.append(None)
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            out.append(binary_f1_score(preds[:, j], targets[:, j], ignore_index=UNKNOWN,
                                       zero_division=0).item())
    return out


def per_au_auc(scores, targets, num_outputs) -> list[float | None]:
    """ROC AUC per AU; None where the known labels lack a positive or a negative."""
    targets = targets.long()
    out = []
    for j in range(num_outputs):
        column = targets[:, j]
        if not ((column == 1).any() and (column == 0).any()):
            out.append(None)
            continue
        out.append(binary_auroc(scores[:, j].float(), column, ignore_index=UNKNOWN).item())
    return out


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
