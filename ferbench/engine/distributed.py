"""One run on several processes with torchrun (torch.distributed + DistributedDataParallel).

torchrun sets WORLD_SIZE, RANK and LOCAL_RANK; the runner then joins the process group
(NCCL on CUDA, gloo on the CPU), each process trains on its shard of every epoch's batches
(DistributedSampler) with gradients averaged by DDP, and only rank 0 records the run and
times inference on its one device."""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn


@dataclass(frozen=True)
class World:
    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @property
    def main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.size > 1


def world() -> World:
    """This process's place in a torchrun job (a single process without torchrun)."""
    if not dist.is_available() or not dist.is_initialized():
        return World()
    return World(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", 0)))


def init_from_env(device: torch.device) -> tuple[World, torch.device]:
    """Join the process group when launched by torchrun; the device becomes cuda:LOCAL_RANK
    on a GPU machine."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1 or not dist.is_available():
        return World(), device
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    here = world()
    if device.type == "cuda":
        device = torch.device("cuda", here.local_rank)
        torch.cuda.set_device(device)
    return here, device


def wrap(module: nn.Module, device: torch.device) -> nn.Module:
    """`module` in DistributedDataParallel when this is a torchrun job, else unchanged."""
    if not world().distributed:
        return module
    ids = [device.index] if device.type == "cuda" else None
    return nn.parallel.DistributedDataParallel(module, device_ids=ids)


def shutdown() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
