"""Matplotlib PNGs for the leaderboard: confusion matrices and ROC curves.

Figures are drawn on the Agg canvas directly (no pyplot), so plotting never changes the
caller's matplotlib backend and needs no display.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


def _save(fig: Figure, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    FigureCanvasAgg(fig)
    fig.savefig(path, format="png", dpi=120)
    return path


def save_confusion_matrix(matrix: Sequence[Sequence[int]], class_names: Sequence[str],
                          path: str | Path, title: str = "", normalize: bool = True) -> Path:
    """Draw a confusion matrix (rows: true class, columns: predicted) as a PNG at `path`.

    Colours are row-normalised (recall per class) when `normalize`, raw counts otherwise;
    every cell is annotated with its count (and its row share when normalised).
    """
    counts = np.asarray(matrix, dtype=np.int64)
    n = len(class_names)
    if counts.shape != (n, n):
        raise ValueError(f"confusion matrix of shape {counts.shape} does not match "
                         f"{n} class names")
    row_sums = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, row_sums, out=np.zeros(counts.shape), where=row_sums > 0)
    colours = shares if normalize else counts
    vmax = 1.0 if normalize else max(int(counts.max()), 1)

    size = 2.5 + 0.55 * n
    fig = Figure(figsize=(size + 1.2, size), layout="constrained")
    ax = fig.add_subplot()
    image = ax.imshow(colours, cmap="Blues", vmin=0, vmax=vmax)
    fig.colorbar(image, ax=ax, label="share of true class" if normalize else "count")
    ax.set(xticks=range(n), yticks=range(n), xlabel="predicted", ylabel="true", title=title)
    ax.set_xticklabels(class_names, rotation=45, ha="right")
    ax.set_yticklabels(class_names)
    for i in range(n):
        for j in range(n):
            text = f"{counts[i, j]}\n{shares[i, j]:.0%}" if normalize else f"{counts[i, j]}"
            dark = colours[i, j] > 0.5 * vmax
            ax.text(j, i, text, ha="center", va="center", fontsize=7,
                    color="white" if dark else "black")
    return _save(fig, path)


def save_roc_curves(fpr_tpr: Mapping[str, tuple[Sequence[float], Sequence[float], float]],
                    path: str | Path, title: str = "") -> Path:
    """Draw one-vs-rest ROC curves, {class: (fpr, tpr, auc)}, as a PNG at `path`."""
    fig = Figure(figsize=(5.5, 5), layout="constrained")
    ax = fig.add_subplot()
    for name, (fpr, tpr, auc) in fpr_tpr.items():
        ax.plot(fpr, tpr, linewidth=1.2, label=f"{name} (AUC {auc:.3f})")
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=0.8, label="chance")
    ax.set(xlim=(0, 1), ylim=(0, 1.01), xlabel="false positive rate",
           ylabel="true positive rate", title=title)
    ax.legend(loc="lower right", fontsize=7)
    return _save(fig, path)
