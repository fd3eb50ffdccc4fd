"""The built-in metric specs (lazy: torchmetrics loads only when a metric is computed)."""

from ..specs import MetricSpec

_CLS = "ferbench.metrics.classification"

METRICS = [
    MetricSpec(name="accuracy", compute=f"{_CLS}:accuracy", summary="Top-1 accuracy"),
    MetricSpec(name="balanced_accuracy", compute=f"{_CLS}:balanced_accuracy",
               summary="Mean per-class recall"),
    MetricSpec(name="macro_precision", compute=f"{_CLS}:macro_precision",
               summary="Unweighted mean of per-class precision"),
    MetricSpec(name="macro_recall", compute=f"{_CLS}:macro_recall",
               summary="Unweighted mean of per-class recall"),
    MetricSpec(name="macro_f1", compute=f"{_CLS}:macro_f1",
               summary="Unweighted mean of per-class F1"),
    MetricSpec(name="macro_auc", compute=f"{_CLS}:macro_auc",
               summary="Mean one-vs-rest ROC AUC over classes present in the targets"),
    MetricSpec(name="per_class_auc", compute=f"{_CLS}:per_class_auc", scalar=False,
               summary="One-vs-rest ROC AUC of each class"),
    MetricSpec(name="confusion_matrix", compute=f"{_CLS}:confusion_matrix", scalar=False,
               higher_is_better=False, summary="Counts, rows true class, columns predicted"),
]
