"""Core GAN baselines (DCGAN, WGAN-GP, CGAN) through the loop, generated-data augmentation
(training split only, cached per data, leak checks) and the generation report."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import scipy.linalg
import torch
from PIL import Image
from torch import nn

from ferbench.config import BASE_HPARAMS, resolve_hparams, validate_augment
from ferbench.data.synthfer import load as load_synthfer
from ferbench.engine import generated
from ferbench.engine.context import RunContext
from ferbench.errors import UserError
from ferbench.metrics.generation import NO_INCEPTION, fd_name, kd_name
from ferbench.models.gan_training import build_generator, train_gan

torch.set_num_threads(1)
# a WGAN-GP generator that has not stepped yet (n_critic = 5) sees its schedule step first
pytestmark = pytest.mark.filterwarnings("ignore:Detected call of `lr_scheduler")
GAN = {"gan_epochs": 1, "gan_size": 24, "gan_width": 8, "gan_batch_size": 16}


def _ctx(tmp_path: Path, augment: dict | None = None, **hp) -> RunContext:
    hparams = {**BASE_HPARAMS, "epochs": 1, "batch_size": 16, **GAN, **hp,
               "augment": augment or {}}
    return RunContext(device=torch.device("cpu"), amp_dtype=None, seed=0, hparams=hparams,
                      artifacts=tmp_path / "artifacts", quiet=True,
                      stage_dir=tmp_path / "stages")


@pytest.fixture(autouse=True)
def no_loss_plots(request, monkeypatch):
    """The loop's matplotlib loss curves cost ~0.3 s per GAN stage; only the CLI run
    draws them here."""
    if "cli" not in request.node.name:
        monkeypatch.setattr("ferbench.engine.loop.save_loss_curves", lambda *a, **k: None)


@pytest.fixture(scope="module")
def faces():
    """synthfer at 24 px: 4 subjects x 8 classes x 2 takes; s000-s001 train, s002 val,
    s003 test."""
    data = load_synthfer(image_size=24, subjects=4, per_class=2)
    by = {role: np.isin(data.subjects, subjects) for role, subjects in
          {"train": ["s000", "s001"], "val": ["s002"], "test": ["s003"]}.items()}
    return {role: data.subset(mask) for role, mask in by.items()}


@pytest.mark.parametrize("kind", ["dcgan", "wgan-gp", "cgan"])
def test_train_gan_draws_the_right_shape_and_writes_sample_grids(tmp_path, faces, kind):
    ctx = _ctx(tmp_path)
    ctx.artifacts.mkdir()
    train = faces["train"]
    G = train_gan(ctx, train.images, train.labels, kind=kind, size=24, epochs=1,
                  batch_size=16, width=8, num_classes=8, stage=f"gan-{kind}")
    z = torch.randn(3, G.z_dim)
    out = G(z, torch.tensor([0, 3, 7])) if kind == "cgan" else G(z)
    assert out.shape == (3, 1, 24, 24) and out.abs().max() <= 1
    assert (G.num_classes == 8) == (kind == "cgan")
    grid = Image.open(ctx.artifacts / f"samples-gan-{kind}-e001.png")
    rows = 8 if kind == "cgan" else 4  # cgan: one row per class
    assert grid.size == (2 + 8 * 26, 2 + rows * 26)
    record = ctx.history[f"gan-{kind}"][0]
    assert np.isfinite(record["loss_d"]) and np.isfinite(record["loss_g"])
    assert ("gp" in record) == (kind != "dcgan")


@pytest.mark.parametrize("kind, lr, betas", [("dcgan", 2e-4, (0.5, 0.999)),
                                             ("wgan-gp", 1e-4, (0.0, 0.9)),
                                             ("cgan", 2e-4, (0.5, 0.999))])
def test_each_kind_trains_with_its_published_optimizer(tmp_path, faces, kind, lr, betas):
    ctx = _ctx(tmp_path)
    ctx.artifacts.mkdir()
    made = []
    stepper = ctx.stepper
    ctx.stepper = lambda params, **o: made.append(stepper(params, **o)) or made[-1]
    train = faces["train"]
    train_gan(ctx, train.images[:16], train.labels[:16], kind=kind, size=24, epochs=1,
              batch_size=16, width=8, num_classes=8, stage="s")
    assert len(made) == 2
    for s in made:
        group = s.optimizer.param_groups[0]
        assert isinstance(s.optimizer, torch.optim.Adam)
        assert group["lr"] == lr and group["betas"] == betas


@pytest.mark.parametrize("images, g_steps", [(64, 0), (80, 1)])
def test_wgan_gp_steps_the_generator_once_per_five_critic_steps(tmp_path, faces, images,
                                                                g_steps):
    ctx = _ctx(tmp_path)
    ctx.artifacts.mkdir()
    data = faces["train"].images.repeat(3, 1, 1, 1)[:images]  # batches of 16: 4 or 5 steps
    torch.manual_seed(1)
    initial = build_generator("wgan-gp", 1, 24, width=8).state_dict()
    torch.manual_seed(1)  # train_gan builds G first: the same initial weights
    G = train_gan(ctx, data, None, kind="wgan-gp", size=24, epochs=1, batch_size=16,
                  width=8, stage="w")
    changed = any(not torch.equal(initial[k], v) for k, v in G.state_dict().items()
                  if "weight" in k)
    assert changed == bool(g_steps)


def test_train_gan_rejects_bad_input(tmp_path, faces):
    ctx = _ctx(tmp_path)
    with pytest.raises(UserError, match="GAN kind 'vae' unknown"):
        train_gan(ctx, faces["train"].images, None, kind="vae", size=24, epochs=1,
                  batch_size=4, stage="x")
    with pytest.raises(UserError, match="class-conditional"):
        train_gan(ctx, faces["train"].images, None, kind="cgan", size=24, epochs=1,
                  batch_size=4, stage="x")
    with pytest.raises(UserError, match="at least 2"):
        train_gan(ctx, faces["train"].images[:1], None, kind="dcgan", size=24, epochs=1,
                  batch_size=4, stage="x")


def _augmenting_ctx(tmp_path, faces, kind="dcgan", per_class=3) -> RunContext:
    ctx = _ctx(tmp_path, {"generator": kind, "generated_per_class": per_class})
    ctx.artifacts.mkdir(exist_ok=True)
    ctx.roles = {"train": faces["train"], "val": faces["val"]}
    return ctx


@pytest.mark.parametrize("kind", ["dcgan", "cgan"])
def test_add_generated_appends_per_class_samples_to_train_only(tmp_path, faces, kind):
    ctx = _augmenting_ctx(tmp_path, faces, kind)
    train, val = faces["train"], faces["val"]
    out = generated.add_generated(train, ctx)
    classes = train.info.num_classes
    assert len(out) == len(train) + classes * 3
    assert torch.equal(out.images[:len(train)], train.images)
    assert torch.bincount(out.labels[len(train):]).tolist() == [3] * classes
    new = slice(len(train), None)
    assert out.subjects[new][0] == "generated:neutral"
    assert out.keys[new][-1] == "generated/surprise/2"
    assert (out.au_presence[new] == 255).all() and torch.isnan(out.landmarks[new]).all()
    assert out.images.shape[1:] == train.images.shape[1:]
    assert ctx.roles["val"] is val and len(val) == 16  # validation stays real
    assert ctx.extra["generated"] == {**{c: 3 for c in train.info.class_names},
                                      "generator": kind, "data": "train", "cached": 0}
    assert set(ctx.extra["generators"]) == set(train.info.class_names)
    grid = Image.open(ctx.artifacts / "generated-grid.png")
    assert grid.size == (2 + 3 * 26, 2 + classes * 26)  # one row per class
    stages = sorted(p.name.rsplit("-", 1)[0] for p in (tmp_path / "stages").iterdir())
    assert stages == (["gan-cgan-all"] if kind == "cgan" else
                      sorted(f"gan-dcgan-{c}" for c in train.info.class_names))


def test_generators_are_reused_for_identical_data_only(tmp_path, faces):
    train = faces["train"]
    first = generated.add_generated(train, _augmenting_ctx(tmp_path, faces))
    ctx = _augmenting_ctx(tmp_path, faces)
    again = generated.add_generated(train, ctx)
    assert ctx.extra["generated"]["cached"] == 8
    assert torch.equal(again.images, first.images)
    fewer = train.subset(np.arange(1, len(train)))  # one 'neutral' face less
    ctx = _augmenting_ctx(tmp_path, faces)
    generated.add_generated(fewer, ctx)
    assert ctx.extra["generated"]["cached"] == 7  # neutral's generator was trained anew


def test_generators_can_learn_from_the_pretraining_set_by_class_name(tmp_path, faces):
    train = faces["train"]
    names = train.info.class_names
    keep = train.labels != names.index("contempt")
    other = train.subset(keep.numpy())
    reversed_names = tuple(reversed(names))  # the same classes in another order
    other = replace(other, info=replace(other.info, name="other-faces",
                                        class_names=reversed_names),
                    labels=len(names) - 1 - other.labels)
    ctx = _augmenting_ctx(tmp_path, faces, "cgan")
    ctx.hparams["augment"]["generator_data"] = "pretrain"
    ctx.roles["pretrain"] = other
    out = generated.add_generated(train, ctx)
    counts = torch.bincount(out.labels[len(train):], minlength=len(names)).tolist()
    assert counts == [0 if n == "contempt" else 3 for n in names]
    assert ctx.extra["generated"]["data"] == "pretrain"
    assert ctx.extra["generated"]["contempt"] == 0
    assert {g.dataset for g in ctx.extra["generators"].values()} == {"other-faces"}
    assert ctx.extra["generators"]["happy"].label == names.index("happy")
    without = _augmenting_ctx(tmp_path, faces)
    without.hparams["augment"]["generator_data"] = "pretrain"
    with pytest.raises(UserError, match="needs a 'pretrain' dataset"):
        generated.add_generated(train, without)


def test_a_generator_never_sees_a_held_out_subject(tmp_path, faces):
    leaky = faces["train"].subset(np.arange(4))
    leaky.subjects[:] = "s002"  # a validation subject in the generator's data
    with pytest.raises(AssertionError, match=r"val subjects \['s002'\]"):
        generated.add_generated(leaky, _augmenting_ctx(tmp_path, faces))
    ctx = _augmenting_ctx(tmp_path, faces, "cgan")
    generated.add_generated(faces["train"], ctx)
    test = faces["test"].subset(np.arange(4))
    test.subjects[:] = "s001"  # a training subject in the test split
    with pytest.raises(AssertionError, match=r"test subjects \['s001'\]"):
        generated.generation_report(ctx, test)


class _Float(nn.Module):
    def forward(self, x):
        return x.float() / 255


class _PixelJudge:
    """A reference classifier whose features are a fixed projection of the pixels."""

    def feature_extractor(self) -> nn.Module:
        torch.manual_seed(0)
        return nn.Sequential(_Float(), nn.Flatten(), nn.Linear(24 * 24, 6))


def _mmd_unbiased(a: np.ndarray, b: np.ndarray) -> float:
    k = lambda x, y: (x @ y.T / x.shape[1] + 1) ** 3  # noqa: E731
    n = len(a)
    kaa, kbb, kab = k(a, a), k(b, b), k(a, b)
    return ((kaa.sum() - np.trace(kaa)) / (n * (n - 1)) + (kbb.sum() - np.trace(kbb))
            / (n * (n - 1)) - 2 * kab.mean())


def test_generation_report_matches_scipy_and_names_its_features(tmp_path, faces,
                                                                monkeypatch):
    monkeypatch.delenv("FERBENCH_INCEPTION_WEIGHTS", raising=False)
    ctx = _augmenting_ctx(tmp_path, faces, "cgan", per_class=2)  # as many as real test faces
    generated.add_generated(faces["train"], ctx)
    judge = _PixelJudge()
    ctx.reference = lambda: (judge, "pixels@run 7")
    metrics, book = generated.generation_report(ctx, faces["test"])
    extractor = judge.feature_extractor()
    with torch.no_grad():
        real = extractor(faces["test"].images).double().numpy()
        fake = extractor(torch.cat([g.draw(2, faces["test"]) for g in
                                    ctx.extra["generators"].values()])).double().numpy()
    mu = real.mean(0) - fake.mean(0)
    cr, cf = np.cov(real, rowvar=False), np.cov(fake, rowvar=False)
    expected = mu @ mu + np.trace(cr + cf - 2 * scipy.linalg.sqrtm(cr @ cf).real)
    assert metrics["gen_fd"] == pytest.approx(expected, rel=1e-4, abs=1e-8)
    assert metrics["gen_kid"] == pytest.approx(_mmd_unbiased(real, fake), rel=1e-4, abs=1e-9)
    happy = book["generation"]["happy"]
    assert happy["n_real"] == 2 and happy["n_generated"] == 2
    assert happy[fd_name("pixels@run 7")] >= 0 and kd_name("pixels@run 7") in happy
    assert happy["FID"] == NO_INCEPTION and happy["IS"] == NO_INCEPTION
    assert not any("FID" in key for key in metrics)
    assert book["generated"]["happy"] == 2 and book["generation_features"] == "pixels@run 7"


def test_fid_and_is_only_with_inception_weights(tmp_path, faces, monkeypatch):
    weights = tmp_path / "inception.pth"
    monkeypatch.setattr(generated, "inception_weights", lambda: (weights, "ab12"))
    monkeypatch.setattr(generated, "fid_with_inception", lambda real, fake, path: 12.5)
    monkeypatch.setattr(generated, "inception_score", lambda fake, path, splits: (1.5, 0.1))
    ctx = _augmenting_ctx(tmp_path, faces, "cgan", per_class=2)
    generated.add_generated(faces["train"], ctx)
    ctx.reference = lambda: (_PixelJudge(), "pixels")
    _, book = generated.generation_report(ctx, faces["test"])
    assert book["generation"]["fear"]["FID"] == 12.5 and book["generation"]["fear"]["IS"] == 1.5
    assert book["inception_weights"] == {"path": str(weights), "sha256": "ab12"}


def test_augment_options_are_validated_and_kept_from_batch_augment(tmp_path, faces):
    with pytest.raises(UserError, match="augment.generator: expected one of dcgan"):
        validate_augment("generator", "vae")
    with pytest.raises(UserError, match="augment.generated_per_class: expected int"):
        validate_augment("generated_per_class", "many")
    with pytest.raises(UserError, match="augment.generator_data: expected one of train"):
        validate_augment("generator_data", "test")
    with pytest.raises(UserError, match="option gan_epochs: expected a value >= 1"):
        resolve_hparams({}, {"gan_epochs": 0})
    ctx = _ctx(tmp_path, {"generator": "dcgan", "generated_per_class": 5, "hflip": True})
    batch = next(iter(ctx.batches(faces["train"], train=True, fields={
        "images": faces["train"].images})))
    assert batch["images"].shape == (16, 1, 24, 24)
    with pytest.raises(UserError, match="option gan_size"):
        generated.add_generated(faces["train"], _ctx(tmp_path, {"generator": "dcgan"},
                                                     gan_size=40))


def test_cli_run_records_generated_data_and_the_generation_report(cli, tmp_path):
    db = tmp_path / "runs.db"
    code, out, err = cli(
        "run", "--model", "tiny-cnn", "--dataset", "synthfer", "-o", "augment.generator=dcgan",
        "-o", "augment.generated_per_class=8", "-o", "gan_epochs=1", "-o", "gan_width=8",
        "-o", "gan_size=24", "-o", "reference_model=tiny-cnn", "-o", "reference_epochs=1",
        "-o", "data.subjects=8", "-o", "data.per_class=2", "-o", "data.image_size=24",
        "--epochs", "1", "--threads", "1", "--db", str(db), "--json")
    assert code == 0, err
    record = json.loads(out)
    book, metrics = record["bookkeeping"], record["metrics"]
    assert {k: book["generated"][k] for k in ("happy", "generator", "data")} == \
        {"happy": 8, "generator": "dcgan", "data": "train"}
    assert book["n_train"] + book["n_val"] + book["n_test"] == 8 * 8 * 2  # all real faces
    name = book["generation_features"]
    assert name.startswith("tiny-cnn@run ") and set(book["generation"]) == set(
        book["generated"]) - {"generator", "data", "cached"}
    assert book["generation"]["happy"][fd_name(name)] >= 0 and metrics["gen_fd"] >= 0
    assert metrics["gen_kid"] is not None and "fid" not in metrics
    assert (Path(record["artifacts"]) / "generated-grid.png").is_file()
