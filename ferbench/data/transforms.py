"""Augmentation (torchvision.transforms.v2 on uint8 tensors) and the preprocessing module
that turns uint8 images into the float input a network expects."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torchvision.transforms import v2


def train_transform(augment: dict) -> v2.Transform | None:
    """Per-sample augmentation from an `augment` dict (hflip, shift, rotate, zoom)."""
    steps: list[v2.Transform] = []
    if augment.get("hflip"):
        steps.append(v2.RandomHorizontalFlip())
    shift, rotate, zoom = (augment.get(k, 0.0) for k in ("shift", "rotate", "zoom"))
    if shift or rotate or zoom:
        steps.append(v2.RandomAffine(
            degrees=rotate, translate=(shift, shift) if shift else None,
            scale=(max(0.05, 1 - zoom), 1 + zoom) if zoom else None))
    return v2.Compose(steps) if steps else None


class Preprocess(nn.Module):
    """uint8 (B, C, H, W) -> float network input: channel repeat, resize, normalisation
    ('dataset' mean/std, 'per_image' standardisation, or 'none' for [0, 1])."""

    def __init__(self, mode: str, mean: float = 0.0, std: float = 1.0,
                 size: int | None = None, in_chans: int | None = None):
        super().__init__()
        self.mode, self.size, self.in_chans = mode, size, in_chans
        self.register_buffer("mean", torch.tensor(float(mean)))
        self.register_buffer("std", torch.tensor(float(std)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.float() / 255.0
        if self.in_chans and x.shape[1] != self.in_chans:
            x = x.mean(1, keepdim=True) if self.in_chans == 1 else \
                x.expand(-1, self.in_chans, -1, -1)
        if self.size and x.shape[-1] != self.size:
            x = F.interpolate(x, size=(self.size, self.size), mode="bilinear",
                              align_corners=False, antialias=True)
        if self.mode == "per_image":
            mean = x.mean(dim=(1, 2, 3), keepdim=True)
            std = x.std(dim=(1, 2, 3), keepdim=True).clamp_min(1.0 / 255)
            return (x - mean) / std
        if self.mode == "dataset":
            return (x - self.mean) / self.std
        return x


def dataset_stats(images: torch.Tensor) -> tuple[float, float]:
    """Mean and std of uint8 images scaled to [0, 1] (computed on the training split)."""
    x = images.float() / 255.0
    return x.mean().item(), max(x.std().item(), 1e-3)
