"""The built-in metric specs (lazy: torchmetrics loads only when a metric is computed)."""

from ..specs import MetricSpec

_CLS = "ferbench.metrics.classification"

METRICS = [
    MetricSpec(name="accuracy", compute=f"{_CLS}:accuracy", summary="Top-1 accuracy"),
    MetricSpec(name="balanced_accuracy", compute=f"{_CLS}:balanced_accuracy",
               summary="Mean recall over the classes in the targets (scikit-learn's)"),
    MetricSpec(name="macro_precision", compute=f"{_CLS}:macro_precision",
               summary="Mean precision over classes in targets or predictions (sklearn default)"),
    MetricSpec(name="macro_recall", compute=f"{_CLS}:macro_recall",
               summary="Mean recall over classes in targets or predictions (sklearn default)"),
    MetricSpec(name="macro_f1", compute=f"{_CLS}:macro_f1",
               summary="Mean F1 over classes in targets or predictions (sklearn default)"),
    MetricSpec(name="macro_auc", compute=f"{_CLS}:macro_auc",
               summary="Mean one-vs-rest ROC AUC over classes with positives and negatives"),
    MetricSpec(name="per_class_auc", compute=f"{_CLS}:per_class_auc", scalar=False,
               summary="One-vs-rest ROC AUC of each class (None where undefined)"),
    MetricSpec(name="per_class_recall", compute=f"{_CLS}:per_class_recall", scalar=False,
               summary="Recall of each class (None for a class absent from the targets)"),
    MetricSpec(name="ece", compute=f"{_CLS}:ece", higher_is_better=False,
               summary="Expected calibration error, 15 equal-width bins of max probability"),
    MetricSpec(name="confusion_matrix", compute=f"{_CLS}:confusion_matrix", scalar=False,
               higher_is_better=False, summary="Counts, rows true class, columns predicted"),
]
