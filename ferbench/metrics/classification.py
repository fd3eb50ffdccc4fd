"""Expression-classification metrics, each a thin call into torchmetrics.

Every function takes `scores` (N, K) float (probabilities or logits), `targets` (N,) int64
and `num_classes`, and returns a float (None where undefined) or a list for per-class results.

Macro averages follow scikit-learn's defaults on the same predictions: macro precision,
recall and F1 average over the union of the classes present in the targets or the
predictions (a class neither present nor predicted is left out, a class predicted but absent
from the targets counts with score 0); balanced accuracy is `balanced_accuracy_score`, the mean
recall over the classes present in the targets.
"""

from __future__ import annotations

import warnings

import torch
from torchmetrics.functional.classification import (
    multiclass_accuracy,
    multiclass_auroc,
    multiclass_calibration_error,
    multiclass_confusion_matrix,
    multiclass_f1_score,
    multiclass_precision,
    multiclass_recall,
)

ECE_BINS = 15


def _preds(scores: torch.Tensor) -> torch.Tensor:
    return scores.argmax(dim=1)


def _counts(labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    return torch.bincount(labels, minlength=num_classes)


def accuracy(scores, targets, num_classes) -> float:
    return multiclass_accuracy(_preds(scores), targets, num_classes, average="micro").item()


def _macro(fn, scores, targets, num_classes, over_predicted: bool) -> float:
    """Mean of the per-class scores over the classes present in `targets` (and, when
    `over_predicted`, in the predictions too)."""
    preds = _preds(scores)
    per_class = fn(preds, targets, num_classes, average="none")
    included = _counts(targets, num_classes) > 0
    if over_predicted:
        included |= _counts(preds, num_classes) > 0
    return per_class[included].mean().item()


def balanced_accuracy(scores, targets, num_classes) -> float:
    """Mean recall over the classes present in the targets (scikit-learn's
    `balanced_accuracy_score`: a predicted class absent from the targets is left out)."""
    return _macro(multiclass_recall, scores, targets, num_classes, over_predicted=False)


def macro_precision(scores, targets, num_classes) -> float:
    """Mean precision over the classes in the targets or predictions (scikit-learn's
    `precision_score(average="macro")` default)."""
    return _macro(multiclass_precision, scores, targets, num_classes, over_predicted=True)


def macro_recall(scores, targets, num_classes) -> float:
    """Mean recall over the classes in the targets or predictions (scikit-learn's
    `recall_score(average="macro")` default)."""
    return _macro(multiclass_recall, scores, targets, num_classes, over_predicted=True)


def macro_f1(scores, targets, num_classes) -> float:
    """Mean F1 over the classes in the targets or predictions (scikit-learn's
    `f1_score(average="macro")` default)."""
    return _macro(multiclass_f1_score, scores, targets, num_classes, over_predicted=True)


def _probabilities(scores: torch.Tensor) -> torch.Tensor:
    scores = scores.float()
    is_prob = bool(((scores >= 0) & (scores <= 1)).all()) and \
        torch.allclose(scores.sum(1), torch.ones(len(scores)), atol=1e-3)
    return scores if is_prob else scores.softmax(dim=1)


def per_class_auc(scores, targets, num_classes) -> list[float | None]:
    """One-vs-rest ROC AUC per class; None where undefined: a class absent from `targets`
    (no positives) and, in a single-class fold, the one present class (no negatives)."""
    counts = _counts(targets, num_classes)
    defined = (counts > 0) & (counts < len(targets))
    if not bool(defined.any()):
        return [None] * num_classes
    with warnings.catch_warnings():  # undefined classes are handled below
        warnings.simplefilter("ignore", UserWarning)
        aucs = multiclass_auroc(_probabilities(scores), targets, num_classes, average="none")
    return [a if d else None for a, d in zip(aucs.tolist(), defined.tolist(), strict=True)]


def per_class_recall(scores, targets, num_classes) -> list[float | None]:
    """Recall of each class (scikit-learn's `recall_score(average=None)`); None for a class
    absent from `targets` (no positives: undefined)."""
    recalls = multiclass_recall(_preds(scores), targets, num_classes, average="none")
    present = (_counts(targets, num_classes) > 0).tolist()
    return [r if p else None for r, p in zip(recalls.tolist(), present, strict=True)]


def macro_auc(scores, targets, num_classes) -> float | None:
    """Mean of the defined per-class AUCs; None when no class has both positives and
    negatives (a single-class fold)."""
    aucs = [a for a in per_class_auc(scores, targets, num_classes) if a is not None]
    return sum(aucs) / len(aucs) if aucs else None


def ece(scores, targets, num_classes) -> float:
    """Expected calibration error (lower is better): the max softmax probability in 15
    equal-width bins over [0, 1], the L1 gap between each bin's accuracy and mean confidence
    weighted by its share of samples (torchmetrics `multiclass_calibration_error`)."""
    return multiclass_calibration_error(_probabilities(scores), targets, num_classes,
                                        n_bins=ECE_BINS, norm="l1").item()


def confusion_matrix(scores, targets, num_classes) -> list[list[int]]:
    return multiclass_confusion_matrix(_preds(scores), targets, num_classes).tolist()
