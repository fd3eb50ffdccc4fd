"""The built-in AU metric specs (lazy: torchmetrics loads only when one is computed)."""

from ..specs import MetricSpec

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
