"""RunContext: the runner's services handed to `Method.fit`."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset

from ..data.faceset import FaceSet
from ..data.transforms import train_transform


class FaceDataset(Dataset):
    """(uint8 image, label) pairs of a FaceSet, augmented per sample when training."""

    def __init__(self, faceset: FaceSet, transform=None):
        self.images, self.labels, self.transform = faceset.images, faceset.labels, transform

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i):
        image = self.images[i]
        return (self.transform(image) if self.transform else image), self.labels[i]


@dataclass
class RunContext:
    device: torch.device
    amp_dtype: torch.dtype | None
    seed: int
    hparams: dict[str, Any]
    artifacts: Path
    quiet: bool = False
    on_epoch_end: Callable[[int, dict], None] = lambda epoch, metrics: None
    channels_last: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def epochs(self) -> int:
        return self.hparams["epochs"]

    @property
    def batch_size(self) -> int:
        return self.hparams["batch_size"]

    def loader(self, faceset: FaceSet, train: bool) -> DataLoader:
        """Batches of uint8 images and labels; shuffled and augmented when `train`."""
        transform = train_transform(self.hparams.get("augment", {})) if train else None
        generator = torch.Generator().manual_seed(self.seed)
        workers = self.hparams.get("workers", 0)
        return DataLoader(FaceDataset(faceset, transform), batch_size=self.batch_size,
                          shuffle=train, generator=generator, num_workers=workers,
                          pin_memory=self.device.type == "cuda", drop_last=False,
                          persistent_workers=workers > 0)

    def autocast(self):
        return torch.autocast(self.device.type, dtype=self.amp_dtype,
                              enabled=self.amp_dtype is not None)

    def log(self, message: str) -> None:
        if not self.quiet:
            print(message, file=sys.stderr, flush=True)

    def checkpoint_path(self) -> Path:
        return self.artifacts / "best.pt"
