"""AU-detection plots of a run: per-AU F1 bars and per-AU ROC curves (scikit-learn's
roc_curve over the known labels), drawn on the Agg canvas."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from sklearn.metrics import roc_auc_score, roc_curve

from ..data.aus import UNKNOWN


def save_au_f1_bars(per_au: Mapping[str, float | None], path: Path, title: str = "") -> Path:
    names = list(per_au)
    values = [np.nan if per_au[n] is None else 100 * per_au[n] for n in names]
    fig = Figure(figsize=(max(4, 0.5 * len(names) + 1), 3.2))
    FigureCanvasAgg(fig)
    axis = fig.subplots()
    axis.bar(names, values, color="tab:blue")
    axis.set_ylim(0, 100)
    axis.set_ylabel("F1 % (threshold 0.5)")
    axis.set_title(title, fontsize=9)
    axis.tick_params(axis="x", labelrotation=60, labelsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    return path


def save_au_roc(scores: np.ndarray, targets: np.ndarray, names: Sequence[str], path: Path,
                title: str = "") -> Path:
    fig = Figure(figsize=(5, 4.5))
    FigureCanvasAgg(fig)
    axis = fig.subplots()
    for j, name in enumerate(names):
        known = targets[:, j] != UNKNOWN
        y = targets[known, j]
        if len(np.unique(y)) < 2:
            continue
        fpr, tpr, _ = roc_curve(y, scores[known, j])
        axis.plot(fpr, tpr, linewidth=1,
                  label=f"{name} ({roc_auc_score(y, scores[known, j]):.2f})")
    axis.plot([0, 1], [0, 1], "k:", linewidth=0.8)
    axis.set_xlabel("false positive rate")
    axis.set_ylabel("true positive rate")
    axis.set_title(title, fontsize=9)
    if axis.lines[:-1]:
        axis.legend(fontsize=6, ncol=2)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    return path
