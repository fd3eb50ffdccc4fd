"""Augmentation throughput at 48x48, batch 64, one CPU thread: the per-sample torchvision
`train_transform` applied image by image vs `BatchAugment` on the whole batch (images per
second in extra_info). Run: .venv/bin/pytest benchmarks/test_augment_speed.py"""

import pytest
import torch

from ferbench.data.augment import BatchAugment
from ferbench.data.transforms import train_transform

AUGMENT = {"hflip": True, "shift": 0.1, "rotate": 10.0, "zoom": 0.1}  # the CNN defaults
BATCH = 64


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture
def batch():
    gen = torch.Generator().manual_seed(0)
    return torch.randint(0, 256, (BATCH, 1, 48, 48), dtype=torch.uint8, generator=gen)


def test_per_sample_torchvision(benchmark, batch):
    transform = train_transform(AUGMENT)
    out = benchmark.pedantic(lambda: [transform(image) for image in batch], rounds=20,
                             warmup_rounds=2)
    assert len(out) == BATCH and out[0].dtype == torch.uint8
    benchmark.extra_info["images_per_s"] = round(BATCH / benchmark.stats.stats.median)


def test_batched_kornia(benchmark, batch):
    augment = BatchAugment(AUGMENT)
    gen = torch.Generator().manual_seed(0)
    (out,) = benchmark.pedantic(lambda: augment(batch, generator=gen), rounds=100,
                                warmup_rounds=5)
    assert out.shape == batch.shape and out.dtype == torch.uint8
    benchmark.extra_info["images_per_s"] = round(BATCH / benchmark.stats.stats.median)
