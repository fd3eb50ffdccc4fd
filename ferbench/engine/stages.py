"""Cached stages: an expensive stage (a pretrained GAN, per-class generators) is trained
once per hash of its inputs (the data it sees + its recipe) and reused by every run whose
stage inputs are identical — never across different training data."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from pathlib import Path

import torch
from torch import nn

from ..config import config_hash
from ..data.atomic import write_atomically
from ..data.faceset import FaceSet


def data_manifest(faceset: FaceSet) -> str:
    """A hash of which samples (keys, in order, and labels) a stage is trained on."""
    digest = hashlib.sha256()
    digest.update(faceset.info.name.encode())
    for key in faceset.keys:
        digest.update(key.encode() + b"\n")
    digest.update(faceset.labels.numpy().tobytes())
    return digest.hexdigest()[:16]


class CachedStage:
    """Modules of stage `name` stored under `folder` by the hash of `inputs`."""

    def __init__(self, folder: Path, name: str, inputs: Mapping):
        self.name = name
        self.key = config_hash({"stage": name, **inputs})
        self.path = Path(folder) / f"{name}-{self.key}.pt"

    def load(self, modules: Mapping[str, nn.Module]) -> bool:
        """Load the cached weights into `modules`; False when the stage was never trained."""
        if not self.path.exists():
            return False
        state = torch.load(self.path, map_location="cpu", weights_only=True)
        for name, module in modules.items():
            module.load_state_dict(state[name])
        return True

    def save(self, modules: Mapping[str, nn.Module]) -> None:
        state = {name: module.state_dict() for name, module in modules.items()}
        write_atomically(self.path, lambda handle: torch.save(state, handle), "stage cache")

    def run(self, modules: Mapping[str, nn.Module], train: Callable[[], object]) -> bool:
        """Load the stage, or train it with `train()` and store it. True when reused."""
        if self.load(modules):
            return True
        train()
        self.save(modules)
        return False
