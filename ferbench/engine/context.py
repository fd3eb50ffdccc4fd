"""RunContext: the runner's services handed to `Method.fit`, so that a method is its
networks and losses: datasets by role, on-device batches, optimizer steppers, the
training loop, cached stages, autocast, logging and the artifacts folder."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from ..data.augment import AUGMENT_KEYS, BatchAugment
from ..data.cache import default_cache_dir
from ..data.faceset import FaceSet
from ..data.info import DatasetInfo
from ..errors import UserError
from .batches import Batches
from .loop import LoopResult, train_loop
from .stages import CachedStage, data_manifest
from .steppers import Stepper


@dataclass
class RunContext:
    device: torch.device
    amp_dtype: torch.dtype | None
    seed: int
    hparams: dict[str, Any]
    artifacts: Path
    task: Any = None  # the run's ferbench.tasks.Task
    info: DatasetInfo | None = None  # what the model was built with
    registry: Any = None
    roles: dict[str, FaceSet] = field(default_factory=dict)  # train, val, pretrain, ...
    quiet: bool = False
    on_epoch_end: Callable[[int, dict], None] = lambda epoch, metrics: None
    channels_last: bool = False
    resume_dir: Path | None = None  # per-config folder of resume checkpoints
    stage_dir: Path | None = None  # cached stages (default: $FERBENCH_CACHE/stages)
    history: dict[str, list[dict]] = field(default_factory=dict)
    # () -> (method, name): a reference expression classifier trained by ferbench on the
    # same split (a recorded run, reused when it exists)
    reference: Callable[[], tuple[Any, str]] | None = None
    # what the runner reads back; ctx.extra["bookkeeping"] (a dict) goes into the run record
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def epochs(self) -> int:
        return self.hparams["epochs"]

    @property
    def batch_size(self) -> int:
        return self.hparams["batch_size"]

    def dataset(self, role: str) -> FaceSet:
        """The FaceSet of a role: 'train', 'val' or an auxiliary one such as 'pretrain'."""
        if role not in self.roles:
            flag = f" (give it with --{role}-dataset)" if role not in ("train", "val") else ""
            raise UserError(f"this method needs a '{role}' dataset{flag}")
        return self.roles[role]

    def batches(self, faceset: FaceSet, train: bool, fields: Mapping | None = None,
                batch_size: int | None = None, augmented: tuple[str, ...] = ("images",),
                drop_last: bool = False) -> Batches:
        """Batches of `fields` (default: images and the task's targets), shuffled and
        augmented on the device when `train`."""
        if fields is None:
            fields = {"images": faceset.images}
            if self.task is not None:
                fields["targets"] = self.task.targets(faceset)
        augment = BatchAugment({k: v for k, v in (self.hparams.get("augment") or {}).items()
                                if k in AUGMENT_KEYS}) if train else None
        return Batches(fields, batch_size=batch_size or self.batch_size, device=self.device,
                       shuffle=train, seed=self.seed, augment=augment, augmented=augmented,
                       channels_last=self.channels_last, drop_last=drop_last)

    def stepper(self, params, *, per: str = "epoch", iterations: int = 1,
                clip: float | None = None, **overrides) -> Stepper:
        """An optimizer + schedule + GradScaler from the recipe, with `overrides` (e.g.
        lr=hp["lr_d"], betas=[0.5, 0.999], schedule="poly")."""
        return Stepper(params, {**self.hparams, **overrides}, per=per, iterations=iterations,
                       fp16=self.amp_dtype == torch.float16, device_type=self.device.type,
                       clip=clip)

    def loop(self, data, step, **options) -> LoopResult:
        """`ferbench.engine.loop.train_loop` with this context (epochs default to the
        recipe's)."""
        options.setdefault("epochs", self.epochs)
        return train_loop(self, data, step, **options)

    def cached_stage(self, name: str, inputs: Mapping) -> CachedStage:
        """A stage cached by the hash of `inputs` (use `manifest(faceset)` for its data)."""
        return CachedStage(self.stage_dir or default_cache_dir() / "stages", name, inputs)

    @staticmethod
    def manifest(faceset: FaceSet) -> str:
        return data_manifest(faceset)

    def autocast(self):
        return torch.autocast(self.device.type, dtype=self.amp_dtype,
                              enabled=self.amp_dtype is not None)

    def log(self, message: str) -> None:
        if not self.quiet:
            print(message, file=sys.stderr, flush=True)

    def checkpoint_path(self) -> Path:
        return self.artifacts / "best.pt"

    def resume_file(self, stage: str = "") -> Path | None:
        if self.resume_dir is None:
            return None
        return self.resume_dir / f"{stage or 'train'}.pt"
