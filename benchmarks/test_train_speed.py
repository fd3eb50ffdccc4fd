"""Training and inference throughput of the baselines on 48x48 grayscale batches (CPU or
CUDA, whichever torch sees). Run: make bench."""

import pytest
import torch

from ferbench.data.info import DatasetInfo
from ferbench.specs import resolve

INFO = DatasetInfo("bench", tuple("abcdefg"))


@pytest.mark.parametrize("factory", ["ferbench.models.tiny_cnn:build",
                                     "ferbench.models.timm_models:resnet18",
                                     "ferbench.models.timm_models:vgg13"])
def test_train_step(benchmark, factory):
    model = resolve(factory)(INFO)
    optimizer = torch.optim.AdamW(model.parameters())
    x, y = torch.randn(64, 1, 48, 48), torch.randint(0, 7, (64,))

    def step():
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    benchmark.extra_info["images_per_round"] = 64
    assert benchmark.pedantic(step, rounds=3, iterations=1, warmup_rounds=1) > 0
