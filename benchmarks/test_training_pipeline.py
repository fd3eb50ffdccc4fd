"""Training throughput through ferbench's data path (one uint8 tensor, batches indexed on
the device, batched kornia augmentation, Preprocess) as a fraction of the synthetic-tensor
limit (the same model and optimizer step on random float batches already on the device):
resnet18, 48x48 grayscale, batch 64, the CNN recipe's augmentation. The ratio is in
extra_info["fraction_of_limit"] of the ferbench test. Run:
.venv/bin/pytest benchmarks/test_training_pipeline.py --benchmark-only"""

import pytest
import torch
from torch import nn

from ferbench.config import BASE_HPARAMS
from ferbench.data.augment import BatchAugment
from ferbench.data.info import DatasetInfo
from ferbench.data.transforms import Preprocess
from ferbench.engine.batches import Batches
from ferbench.engine.device import select_device
from ferbench.engine.steppers import Stepper
from ferbench.models.catalog import CNN_DEFAULTS
from ferbench.models.timm_models import resnet18

BATCH, STEPS = 64, 10
DEVICE = select_device("auto")
RESULTS: dict[str, float] = {}


pytestmark = pytest.mark.usefixtures("one_thread")


def _model():
    torch.manual_seed(0)
    return resnet18(DatasetInfo("bench", tuple("abcdefg"))).to(DEVICE)


def _sync():
    if DEVICE.type == "cuda":
        torch.cuda.synchronize()


def _train(model, batches):
    stepper = Stepper(model.parameters(), {**BASE_HPARAMS, "epochs": 1})
    loss_fn = nn.CrossEntropyLoss()
    for images, labels in batches:
        stepper.step(loss_fn(model(images), labels))
    _sync()


def test_synthetic_tensor_limit(benchmark):
    model = _model()
    x = torch.randn(BATCH, 1, 48, 48, device=DEVICE)
    y = torch.randint(0, 7, (BATCH,), device=DEVICE)
    benchmark.pedantic(_train, args=(model, [(x, y)] * STEPS), rounds=3, warmup_rounds=1)
    RESULTS["limit"] = BATCH * STEPS / benchmark.stats.stats.median
    benchmark.extra_info["images_per_s"] = round(RESULTS["limit"])


def test_ferbench_data_path(benchmark):
    gen = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (BATCH * STEPS, 1, 48, 48), dtype=torch.uint8, generator=gen)
    labels = torch.randint(0, 7, (BATCH * STEPS,), generator=gen)
    model = nn.Sequential(Preprocess("dataset", 0.5, 0.25), _model()).to(DEVICE)
    batches = Batches({"images": images, "targets": labels}, batch_size=BATCH, device=DEVICE,
                      shuffle=True, augment=BatchAugment(CNN_DEFAULTS["augment"]))

    def run():
        _train(model, ((b["images"], b["targets"]) for b in batches))

    benchmark.pedantic(run, rounds=3, warmup_rounds=1)
    speed = BATCH * STEPS / benchmark.stats.stats.median
    benchmark.extra_info["images_per_s"] = round(speed)
    if "limit" in RESULTS:
        benchmark.extra_info["fraction_of_limit"] = round(speed / RESULTS["limit"], 3)
    assert len(batches) == STEPS
