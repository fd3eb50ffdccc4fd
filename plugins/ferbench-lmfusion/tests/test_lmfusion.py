"""Tests of the lmfusion plugin: shapes at 64 and 256 px, Eq. (1), the spectral PatchGAN,
module 1 frozen while module 2 trains, the recipe, options, and tiny CLI runs on synthfer."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from ferbench import DatasetInfo
from ferbench.config import resolve_hparams
from ferbench.data import synthfer
from ferbench.engine.context import RunContext
from ferbench.errors import UserError
from ferbench.plugins import load_registry
from ferbench.tasks.transfer import TransferTask
from torch import nn

from ferbench_lmfusion.method import build, build_nofusion
from ferbench_lmfusion.nets import (
    LandmarkFusion,
    ModifiedUNet,
    TargetConditioned,
    spectral_patch_discriminator,
)

TINY = {"width": 4, "d_width": 4, "fusion_width": 4}


def info(size, chans=1):
    return DatasetInfo(name="toy", class_names=("a", "b"), in_chans=chans, image_size=size)


def stacked(size, chans=1, batch=2):
    gen = torch.Generator().manual_seed(0)
    return torch.randint(0, 256, (batch, chans + 2, size, size), dtype=torch.uint8,
                         generator=gen)


@pytest.mark.parametrize("size, depth, patches", [(64, 5, 6), (256, 7, 30)])
@pytest.mark.parametrize("chans", [1, 3])
def test_shapes(size, depth, patches, chans):
    method = build(info(size, chans), **TINY)
    G = method.generator.eval()
    x = stacked(size, chans)
    with torch.no_grad():
        out = G(x)
        condition = G.condition(x)
        judged = method.discriminator(torch.cat([condition, condition[:, :chans]], 1))
        fused = method.fusion(condition[:, -1:], condition[:, -1:])
    assert out.shape == (2, chans, size, size) and out.dtype == torch.uint8
    assert condition.shape == (2, chans + 1, size, size)  # RGB: 4 channels as in Table 1
    assert G.unet.depth == depth
    assert judged.shape == (2, 1, patches, patches)  # Table 2: 30x30 at 256
    assert fused.shape == (2, 1, size, size)


def test_unet_follows_table_1_at_256():
    unet = ModifiedUNet(4, 3, 256, width=64)
    downs = [m.out_channels for m in unet.downs.modules() if isinstance(m, nn.Conv2d)]
    ups = [m.out_channels for m in unet.ups.modules() if isinstance(m, nn.ConvTranspose2d)]
    assert downs == [64, 128, 256, 512, 512, 512, 512, 512]  # 7 stride-2 + the bottleneck
    assert ups == [512, 512, 512, 256, 128, 64, 3]
    convs = (nn.Conv2d, nn.ConvTranspose2d)
    kernels = {m.kernel_size for m in unet.modules() if isinstance(m, convs)}
    assert kernels == {(4, 4)}
    assert not any(isinstance(m, nn.Dropout) for m in unet.modules())
    assert isinstance(unet.ups[-1][-1], nn.Tanh)
    x = torch.zeros(1, 4, 256, 256)
    for down in unet.downs:
        x = down(x)
    assert x.shape == (1, 512, 2, 2)


def test_patch_discriminator_is_spectrally_normalised_without_batch_norm():
    D = spectral_patch_discriminator(2, width=4)
    convs = [m for m in D.modules() if isinstance(m, nn.Conv2d)]
    assert len(convs) == 5
    assert all(nn.utils.parametrize.is_parametrized(c, "weight") for c in convs)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in D.modules())


def test_discriminator_sees_the_target_and_the_image_not_the_landmarks():
    D = TargetConditioned(spectral_patch_discriminator(2, width=4), chans=1).eval()
    x = torch.randn(2, 3, 64, 64)
    other = x.clone()
    other[:, 1] = torch.randn(2, 64, 64)  # another J_gen
    with torch.no_grad():
        assert torch.equal(D(x), D(other))
        other[:, 2] += 1  # another judged image
        assert not torch.equal(D(x), D(other))


def test_fusion_is_target_landmarks_plus_decoder_output():
    torch.manual_seed(0)
    fusion = LandmarkFusion(64, width=4, depth=3).eval()
    source, target = torch.rand(2, 2, 1, 64, 64) * 2 - 1
    with torch.no_grad():
        deviation = fusion.decoder(torch.cat([fusion.encode_source(source),
                                              fusion.encode_target(target)], 1))
        assert deviation.abs().max() > 0
        assert torch.allclose(fusion(source, target), target + deviation)


def test_nofusion_ablation_conditions_on_the_target_landmarks():
    method = build_nofusion(info(64), width=4, d_width=4)
    x = stacked(64)
    condition = method.generator.condition(x)
    assert method.fusion is None
    assert torch.equal(condition[:, 1], x[:, 2].float() / 127.5 - 1)


@pytest.mark.parametrize("option, value", [("width", 0), ("d_width", "x"), ("depth", 1),
                                            ("fusion_width", True), ("fusion_depth", 7),
                                            ("width", 2.5)])
def test_bad_options_name_the_option(option, value):
    with pytest.raises(UserError, match=option):
        build(info(48), **{**TINY, option: value})


def test_recipe_is_the_papers():
    registry = load_registry()
    spec = registry.get("models", "lmfusion")
    hp = resolve_hparams(spec.defaults, {}, spec.hparams)
    assert (hp["optimizer"], hp["betas"], hp["batch_size"]) == ("adam", [0.5, 0.999], 8)
    assert (hp["lr"], hp["lr_d"], hp["epochs"], hp["fusion_epochs"]) == (2e-4, 1e-4, 120, 400)
    assert (hp["lambda_fusion_adv"], hp["lambda_cycle"], hp["lambda_fusion_l1"],
            hp["lambda_l1"]) == (0.1, 10.0, 100.0, 100.0)
    assert hp["augment"] == {"hflip": True}
    reported = {(r.dataset, r.metric): r.value for r in spec.reported}
    assert reported == {("ckplus", "ssim"): 0.805, ("ckplus", "psnr"): 25.610,
                        ("rafd", "ssim"): 0.801, ("rafd", "psnr"): 19.338}
    assert {c.key for c in TransferTask.columns} >= {"ssim", "psnr"}  # the task's keys
    assert registry.get("models", "lmfusion-nofusion").reported == []


@pytest.fixture
def tiny_split():
    faces = synthfer.load(subjects=5, per_class=1, image_size=24)
    subjects = np.asarray(faces.subjects)
    train = faces.subset(np.flatnonzero(np.isin(subjects, np.unique(subjects)[:3])))
    val = faces.subset(np.flatnonzero(np.isin(subjects, np.unique(subjects)[3:])))
    return train, val


def _ctx(tmp_path, **overrides):
    spec = load_registry().get("models", "lmfusion")
    hp = resolve_hparams(spec.defaults, {"epochs": 1, "fusion_epochs": 1, "batch_size": 16,
                                         **overrides}, spec.hparams)
    return RunContext(device=torch.device("cpu"), amp_dtype=None, seed=0, hparams=hp,
                      artifacts=tmp_path, task=TransferTask(), stage_dir=tmp_path / "stages",
                      quiet=True)


def test_module_1_is_trained_first_then_frozen(tmp_path, tiny_split):
    train, val = tiny_split
    ctx = _ctx(tmp_path)
    method = build(info(24), **TINY)
    unet_before = {k: v.clone() for k, v in method.generator.unet.state_dict().items()}
    decoder_before = method.fusion.decoder[-1].weight.clone()
    method.fit(train, val, ctx)
    (stage,) = (tmp_path / "stages").glob("lmfusion-fusion-*.pt")
    after_stage_1 = torch.load(stage, weights_only=True)["fusion"]
    assert not torch.equal(after_stage_1["decoder.7.weight"], decoder_before)  # stage 1 ran
    assert all(p.grad is None and not p.requires_grad for p in method.fusion.parameters())
    state = method.fusion.state_dict()
    assert all(torch.equal(state[k], v) for k, v in after_stage_1.items())  # BN stats too
    assert any(not torch.equal(method.generator.unet.state_dict()[k], v)
               for k, v in unet_before.items())  # while stage 2 trained the U-Net
    assert [h["epoch"] for h in ctx.history["fusion"]] == [1]
    assert "val_fusion_l1" in ctx.history["fusion"][0] and "val_ssim" in ctx.history["train"][0]


def test_fusion_stage_key_follows_data_and_recipe(tmp_path, tiny_split):
    train, val = tiny_split
    method = build(info(24), **TINY)
    key = method.fusion_inputs(train, _ctx(tmp_path))
    assert key == method.fusion_inputs(train, _ctx(tmp_path, epochs=5))  # stage 2 only
    assert key != method.fusion_inputs(train, _ctx(tmp_path, fusion_epochs=2))
    assert key != method.fusion_inputs(train, _ctx(tmp_path, lambda_cycle=1.0))
    assert key != method.fusion_inputs(val, _ctx(tmp_path))


SMALL = ["--dataset", "synthfer", "--task", "transfer", "--threads", "1", "--json",
         "--epochs", "1", "-o", "data.subjects=14", "-o", "data.per_class=1",
         "-o", "batch_size=32", "-o", "model.width=4", "-o", "model.d_width=4",
         "-o", "reference_model=tiny-cnn", "-o", "reference_epochs=1"]


def test_tiny_cli_run_on_synthfer(tmp_path):
    env = {**os.environ, "FERBENCH_CACHE": str(tmp_path / "cache")}  # no stage from elsewhere
    done = subprocess.run([sys.executable, "-m", "ferbench.cli", "run", "--model", "lmfusion",
                           "-o", "fusion_epochs=1", "-o", "model.fusion_width=4", *SMALL,
                           "--db", str(tmp_path / "r.db"), "--out", str(tmp_path / "art")],
                          capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert 0 < record["metrics"]["ssim"] < 1 and record["metrics"]["psnr"] > 0
    art = Path(record["artifacts"])
    assert (art / "grid.png").exists() and (art / "loss-fusion.png").exists()
    assert (art / "samples-fusion-e001.png").exists()
    stages = json.loads((art / "metrics.json").read_text())["stages"]
    assert set(stages) == {"fusion", "train"}
    assert len(list((tmp_path / "cache" / "stages").glob("lmfusion-fusion-*.pt"))) == 1
    unet = sum(p.numel() for p in build(info(48), width=4).generator.unet.parameters())
    assert record["timing"]["params"] > unet  # module 1 is part of what is timed
