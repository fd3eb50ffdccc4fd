"""Mini-batches of a FaceSet as dicts of tensors on the training device.

The decoded uint8 tensors stay whole (moved to the device once when they fit), batches are
indexed from them, and augmentation runs on the device, batched, with per-sample random
parameters (`ferbench.data.augment.BatchAugment`). The shuffling order comes from
torch's DataLoader over indices with a seeded generator, so it is reproducible and
resumable (its state is part of a checkpoint).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import torch
from torch.utils.data import DataLoader, DistributedSampler

from ..data.augment import BatchAugment
from .distributed import world

DEVICE_BYTES = 2 * 2**30  # tensors larger than this stay on the CPU and move per batch


def _standard_strides(tensor: torch.Tensor) -> torch.Tensor:
    """The tensor with row-major strides: a (N, 1, H, W) tensor made from NHWC data counts as
    contiguous with other strides, and oneDNN then picks other (equal up to rounding)
    kernels than for the same batch stacked image by image."""
    if tensor.stride() == torch.empty(tensor.shape, device="meta").stride():
        return tensor
    return tensor.clone(memory_format=torch.contiguous_format)


def _to_device(tensor: torch.Tensor, device: torch.device) -> torch.Tensor:
    tensor = _standard_strides(tensor)
    if device.type == "cpu" or tensor.numel() * tensor.element_size() > DEVICE_BYTES:
        return tensor
    return tensor.to(device)


class Batches:
    """Iterate over `fields` (name -> tensor with one row per sample) in batches of
    `batch_size`; shuffled each epoch when `shuffle`; `augment` (a BatchAugment) transforms
    the fields named in `augmented` with identical per-sample parameters."""

    def __init__(self, fields: Mapping[str, torch.Tensor], *, batch_size: int,
                 device: torch.device, shuffle: bool = False, seed: int = 0,
                 augment: BatchAugment | None = None, augmented: tuple[str, ...] = ("images",),
                 channels_last: bool = False, drop_last: bool = False):
        sizes = {len(v) for v in fields.values()}
        if len(sizes) != 1:
            raise ValueError(f"Batches: fields have different lengths {sizes}")
        self.size = sizes.pop()
        self.device, self.channels_last = device, channels_last
        self.fields = {name: _to_device(value, device) for name, value in fields.items()}
        self.augment, self.augmented = augment, augmented
        here = world()
        self.generator = torch.Generator().manual_seed(seed)
        self.augment_generator = torch.Generator().manual_seed(seed + 1 + here.rank)
        self.sampler = None
        if shuffle and here.distributed:  # each process takes its shard; global batch kept
            self.sampler = DistributedSampler(range(self.size), num_replicas=here.size,
                                              rank=here.rank, shuffle=True, seed=seed,
                                              drop_last=drop_last)
            self.order = DataLoader(range(self.size), batch_size=max(1, batch_size // here.size),
                                    sampler=self.sampler, drop_last=drop_last)
        else:
            self.order = DataLoader(range(self.size), batch_size=batch_size, shuffle=shuffle,
                                    generator=self.generator, drop_last=drop_last)
        self.epoch = 0

    def __len__(self) -> int:
        return len(self.order)

    def __iter__(self) -> Iterator[dict[str, torch.Tensor]]:
        if self.sampler is not None:
            self.sampler.set_epoch(self.epoch)
        self.epoch += 1
        for index in self.order:
            batch = {}
            for name, value in self.fields.items():
                part = value[index.to(value.device)] if value.device.type != "cpu" \
                    else value[index]
                batch[name] = part.to(self.device, non_blocking=True)
            if self.augment:
                names = [n for n in self.augmented if n in batch]
                out = self.augment(*(batch[n] for n in names), generator=self.augment_generator)
                batch.update(zip(names, out, strict=True))
            if self.channels_last:
                for name in self.augmented:
                    if name in batch and batch[name].ndim == 4:
                        batch[name] = batch[name].contiguous(memory_format=torch.channels_last)
            yield batch

    def state_dict(self) -> dict:
        return {"generator": self.generator.get_state(),
                "augment_generator": self.augment_generator.get_state(),
                "epoch": torch.tensor(self.epoch)}

    def load_state_dict(self, state: dict) -> None:
        self.generator.set_state(state["generator"])
        self.augment_generator.set_state(state["augment_generator"])
        self.epoch = int(state.get("epoch", torch.tensor(0)))
