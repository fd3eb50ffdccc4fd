"""train_gan's networks: the trained discriminator handed back, caller-built networks trained
in place, the real-then-fake order D sees, and augmentation of the real faces on request."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from ferbench.config import BASE_HPARAMS
from ferbench.data.synthfer import load as load_synthfer
from ferbench.engine.context import RunContext
from ferbench.errors import UserError
from ferbench.models.gan_nets import DCGANDiscriminator, DCGANGenerator
from ferbench.models.gan_training import train_gan

torch.set_num_threads(1)
TINY = {"kind": "dcgan", "size": 24, "epochs": 1, "batch_size": 16, "width": 4}


@pytest.fixture(autouse=True)
def no_loss_plots(monkeypatch):
    monkeypatch.setattr("ferbench.engine.loop.save_loss_curves", lambda *a, **k: None)


@pytest.fixture(scope="module")
def images():
    """32 synthfer faces at 24 px (two batches of 16)."""
    return load_synthfer(image_size=24, subjects=2, per_class=2).images


def _ctx(tmp_path: Path, augment: dict | None = None) -> RunContext:
    hparams = {**BASE_HPARAMS, "epochs": 1, "batch_size": 16, "augment": augment or {}}
    return RunContext(device=torch.device("cpu"), amp_dtype=None, seed=0, hparams=hparams,
                      artifacts=tmp_path / "artifacts", quiet=True)


def _changed(before: dict, module: torch.nn.Module) -> bool:
    return any(not torch.equal(before[k], v) for k, v in module.state_dict().items()
               if k.endswith("weight"))


def test_return_discriminator_gives_the_trained_discriminator(tmp_path, images):
    torch.manual_seed(3)
    DCGANGenerator(1, 24, width=4)  # train_gan builds G, then D: the same initial D
    initial = DCGANDiscriminator(1, 24, width=4).state_dict()
    torch.manual_seed(3)
    G, D = train_gan(_ctx(tmp_path), images, stage="g", return_discriminator=True, **TINY)
    assert isinstance(G, DCGANGenerator) and isinstance(D, DCGANDiscriminator)
    assert not G.training and not D.training
    assert _changed(initial, D)
    bn = next(m for m in D.modules() if isinstance(m, torch.nn.BatchNorm2d))
    assert bn.num_batches_tracked > 0 and bn.running_mean.abs().sum() > 0
    torch.manual_seed(3)  # the flag changes only what is returned
    alone = train_gan(_ctx(tmp_path), images, stage="g", **TINY)
    assert all(torch.equal(v, alone.state_dict()[k]) for k, v in G.state_dict().items())


def test_networks_of_the_caller_are_trained_in_place(tmp_path, images):
    G, D = DCGANGenerator(1, 24, z_dim=7, width=4), DCGANDiscriminator(1, 24, width=2)
    before = {"G": {k: v.clone() for k, v in G.state_dict().items()},
              "D": {k: v.clone() for k, v in D.state_dict().items()}}
    out = train_gan(_ctx(tmp_path), images, stage="g", generator=G, discriminator=D,
                    return_discriminator=True, **TINY)
    assert out[0] is G and out[1] is D
    assert _changed(before["G"], G) and _changed(before["D"], D)
    assert G(torch.randn(2, 7)).shape == (2, 1, 24, 24)


def test_networks_built_for_another_size_or_classes_are_refused(tmp_path, images):
    with pytest.raises(UserError, match="discriminator is built for 32 px and 0 classes; "
                                        "expected 24 px"):
        train_gan(_ctx(tmp_path), images, stage="g",
                  discriminator=DCGANDiscriminator(1, 32, width=4), **TINY)
    with pytest.raises(UserError, match="generator is built for 24 px and 3 classes"):
        train_gan(_ctx(tmp_path), images, stage="g",
                  generator=DCGANGenerator(1, 24, width=4, num_classes=3), **TINY)


def test_discriminator_sees_the_real_batch_before_the_fakes(tmp_path):
    """Its batch-norm running statistics end on fakes: real, fake (D step), fake (G step)."""
    seen = []

    class Recording(DCGANDiscriminator):
        def forward(self, x, y=None):
            seen.append("real" if bool((x == -1).all()) else "fake")  # the faces are black
            return super().forward(x, y)

    black = torch.zeros(16, 1, 24, 24, dtype=torch.uint8)
    train_gan(_ctx(tmp_path), black, stage="g", discriminator=Recording(1, 24, width=4),
              **TINY)
    assert seen == ["real", "fake", "fake"]


def test_augment_applies_the_recipes_augmentation_to_real_faces(tmp_path, images):
    def trained(augment: dict, flag: bool) -> dict:
        torch.manual_seed(0)
        G = train_gan(_ctx(tmp_path, augment), images, stage="g", augment=flag, **TINY)
        return G.state_dict()

    plain = trained({}, False)
    assert all(torch.equal(v, trained({}, True)[k]) for k, v in plain.items())
    flipped = trained({"hflip": True}, True)
    assert any(not torch.equal(v, flipped[k]) for k, v in plain.items())
    assert all(torch.equal(v, trained({"hflip": True}, False)[k]) for k, v in plain.items())
