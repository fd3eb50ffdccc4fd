"""Training plots of the generic loop: loss curves and sample grids (matplotlib, PIL)."""

from __future__ import annotations

from pathlib import Path

import torch

NOT_CURVES = {"epoch", "seconds", "lr", "stage"}


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


def save_sample_grid(images: torch.Tensor, path: Path, nrow: int = 8) -> Path:
    """A uint8 (B, C, H, W) batch as one PNG grid."""
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
