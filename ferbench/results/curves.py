"""Training plots of the generic loop: loss curves, sample grids and the validation curves
the leaderboard draws over a row's folds (matplotlib, PIL)."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

NOT_CURVES = {"epoch", "seconds", "lr", "stage"}
TITLE_WIDTH = 110  # characters per title line at the figures' 10-inch width


def save_loss_curves(history: list[dict], path: Path, title: str = "") -> Path:
    """One line per recorded loss or validation score over the epochs (drawn on the Agg
    canvas directly, as results/plots.py does, so no backend is changed)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    keys = sorted({k for record in history for k, v in record.items()
                   if k not in NOT_CURVES and isinstance(v, (int, float))})
    epochs = [record["epoch"] for record in history]
    fig = Figure(figsize=(10, 3.5))
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 2)
    for key in keys:
        axis = axes[1] if key.startswith("val_") and not key.endswith("loss") else axes[0]
        axis.plot(epochs, [record.get(key, float("nan")) for record in history],
                  marker="o", markersize=3, label=key)
    axes[0].set_title(f"{title} losses" if title else "losses")
    axes[1].set_title("validation scores")
    for axis in axes:
        axis.set_xlabel("epoch")
        if axis.lines:
            axis.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    return path


def _training_loss(records: list[dict]) -> str:
    """The loss a curve keeps: `train_loss`, else the first loss the method's step logged
    (e.g. `loss_c`, a classifier's loss logged before its GAN terms)."""
    keys = ["train_loss"] + [k for k in records[0] if k.startswith("loss")]
    return next((k for k in keys if any(isinstance(r.get(k), (int, float)) for r in records)),
                "train_loss")


def validation_curve(history: list[dict], selection: str) -> dict | None:
    """The compact per-epoch record a run keeps of its loop history: the validation score
    `selection` and the training loss, named in `loss` (None when no epoch has that score)."""
    records = [r for r in history if isinstance(r.get(selection), (int, float))]
    if not records:
        return None
    loss = _training_loss(records)
    return {"score": selection, "epoch": [r["epoch"] for r in records],
            "value": [round(float(r[selection]), 6) for r in records], "loss": loss,
            "train_loss": [None if r.get(loss) is None else round(float(r[loss]), 6)
                           for r in records]}


def save_fold_curves(curves: list[dict], path: Path, title: str = "") -> Path:
    """The validation score and training loss of each of a row's runs (thin lines) and their
    mean over the runs at every epoch all of them have (thick), side by side."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 3.5))
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 2)
    for axis, key, name in ((axes[0], "value", curves[0]["score"]),
                            (axes[1], "train_loss", curves[0].get("loss", "train_loss"))):
        series = [dict(zip(c["epoch"], c[key], strict=True)) for c in curves]
        for points in series:
            epochs = sorted(e for e, v in points.items() if v is not None)
            axis.plot(epochs, [points[e] for e in epochs], color="0.7", linewidth=0.8)
        common = sorted(set.intersection(*({e for e, v in p.items() if v is not None}
                                           for p in series)))
        if common:
            axis.plot(common, [sum(p[e] for p in series) / len(series) for e in common],
                      color="C0", linewidth=2,
                      label=f"mean of {len(series)} run" + "s" * (len(series) > 1))
            axis.legend(fontsize=8)
        axis.set_title(name)
        axis.set_xlabel("epoch")
    if title:
        fig.suptitle(textwrap.fill(title, TITLE_WIDTH), fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    return path


def save_sample_grid(images: torch.Tensor, path: Path, nrow: int = 8) -> Path:
    """A uint8 (B, C, H, W) batch as one PNG grid."""
    import torch
    from PIL import Image
    from torchvision.utils import make_grid

    images = images.detach().cpu()
    if images.dtype != torch.uint8:
        raise TypeError("save_sample_grid expects uint8 images")
    grid = make_grid(images, nrow=nrow, padding=2, pad_value=255)
    array = grid.permute(1, 2, 0).numpy()
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array[..., 0] if images.shape[1] == 1 else array).save(path)
    return path
