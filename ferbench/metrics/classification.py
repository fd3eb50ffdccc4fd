"""Expression-classification metrics, each a thin call into torchmetrics.

Every function takes `scores` (N, K) float (probabilities or logits), `targets` (N,) int64
and `num_classes`, and returns a float (or a list for per-class results).
"""

from __future__ import annotations

import warnings

import torch
from torchmetrics.functional.classification import (
    multiclass_accuracy,
    multiclass_auroc,
    multiclass_confusion_matrix,
    multiclass_f1_score,
    multiclass_precision,
    multiclass_recall,
)


def _preds(scores: torch.Tensor) -> torch.Tensor:
    return scores.argmax(dim=1)


def _present(targets: torch.Tensor, num_classes: int) -> torch.Tensor:
    return torch.bincount(targets, minlength=num_classes) > 0


def accuracy(scores, targets, num_classes) -> float:
    return multiclass_accuracy(_preds(scores), targets, num_classes, average="micro").item()


def _macro_over_present(fn, scores, targets, num_classes) -> float:
    """Macro average over the classes that occur in `targets` (as scikit-learn does when
    given labels=present classes); a fold without some class does not count it as 0."""
    per_class = fn(_preds(scores), targets, num_classes, average="none")
    return per_class[_present(targets, num_classes)].mean().item()


def balanced_accuracy(scores, targets, num_classes) -> float:
    return _macro_over_present(multiclass_recall, scores, targets, num_classes)


def macro_precision(scores, targets, num_classes) -> float:
    return _macro_over_present(multiclass_precision, scores, targets, num_classes)


def macro_recall(scores, targets, num_classes) -> float:
    return _macro_over_present(multiclass_recall, scores, targets, num_classes)


def macro_f1(scores, targets, num_classes) -> float:
    return _macro_over_present(multiclass_f1_score, scores, targets, num_classes)


def _probabilities(scores: torch.Tensor) -> torch.Tensor:
    scores = scores.float()
    is_prob = bool(((scores >= 0) & (scores <= 1)).all()) and \
        torch.allclose(scores.sum(1), torch.ones(len(scores)), atol=1e-3)
    return scores if is_prob else scores.softmax(dim=1)


def per_class_auc(scores, targets, num_classes) -> list[float | None]:
    """One-vs-rest ROC AUC per class; None for a class absent from `targets` (undefined)."""
    with warnings.catch_warnings():  # absent classes are handled below
        warnings.simplefilter("ignore", UserWarning)
        aucs = multiclass_auroc(_probabilities(scores), targets, num_classes, average="none")
    present = _present(targets, num_classes)
    return [a if p else None for a, p in zip(aucs.tolist(), present.tolist(), strict=True)]


def macro_auc(scores, targets, num_classes) -> float | None:
    aucs = [a for a in per_class_auc(scores, targets, num_classes) if a is not None]
    return sum(aucs) / len(aucs) if len(aucs) > 1 else None


def confusion_matrix(scores, targets, num_classes) -> list[list[int]]:
    return multiclass_confusion_matrix(_preds(scores), targets, num_classes).tolist()
