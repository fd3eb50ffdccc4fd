"""Tests of the dcgan-svm plugin: feature shapes, the frozen discriminator (trained by the core
train_gan), the cached DCGAN stage, per-AU SVMs, the generation report, reported metadata and
tiny CLI runs."""

import json
import sqlite3

import numpy as np
import pytest
import torch
from ferbench.cli import main
from ferbench.config import BASE_HPARAMS
from ferbench.data.aus import select_aus
from ferbench.data.synthfer import load as load_synthfer
from ferbench.engine.context import RunContext
from ferbench.errors import UserError
from ferbench.metrics.generation import fd_name, kd_name
from ferbench.models.gan_nets import DCGANDiscriminator
from ferbench.models.gan_training import train_gan
from ferbench.plugins import load_registry
from ferbench.tasks.au import AUTask
from ferbench.tasks.expression import ExpressionTask
from sklearn.svm import SVC

from ferbench_dcgan_svm import paper
from ferbench_dcgan_svm.discriminator import DiscriminatorFeatures
from ferbench_dcgan_svm.method import DCGANSVM
from ferbench_dcgan_svm.plugin import RECIPE
from ferbench_dcgan_svm.quality import nearest, quality_report

torch.set_num_threads(1)
TINY = {"width": 4, "z_dim": 8, "size": 24, "trials": 2, "folds": 2, "generated": 16}
AUS = (1, 2, 4, 12, 25)


@pytest.fixture(autouse=True)
def no_loss_plots(monkeypatch):
    """The loop's matplotlib loss curves cost ~0.3 s per stage; the CLI runs draw them."""
    monkeypatch.setattr("ferbench.engine.loop.save_loss_curves", lambda *a, **k: None)


@pytest.fixture(scope="module")
def faces():
    """synthfer at 16 px: 4 subjects x 8 classes x 2 takes, AUs 1, 2, 4, 12, 25; s000-s002
    train, s003 val."""
    data = select_aus(load_synthfer(image_size=16, subjects=4, per_class=2), AUS)
    return data.subset(data.subjects != "s003"), data.subset(data.subjects == "s003")


def _ctx(tmp_path, faces, task=None, pretrain=None, **hp) -> RunContext:
    train, val = faces
    task = task or ExpressionTask()
    hparams = {**BASE_HPARAMS, **RECIPE, "epochs": 1, "batch_size": 16, "amp": False, **hp}
    return RunContext(device=torch.device("cpu"), amp_dtype=None, seed=0, hparams=hparams,
                      artifacts=tmp_path / "artifacts", task=task,
                      info=task.model_info(train.info), quiet=True,
                      roles={"train": train, "val": val, "pretrain": pretrain or train},
                      stage_dir=tmp_path / "stages")


def _fitted(tmp_path, faces, task=None, hp=None,
            **options) -> tuple[DCGANSVM, RunContext]:
    ctx = _ctx(tmp_path, faces, task, **(hp or {}))
    method = DCGANSVM(ctx.info, **{**TINY, **options})
    method.fit(*faces, ctx)
    return method, ctx


@pytest.mark.parametrize("size, width", [(64, 8), (48, 4), (32, 2)])
def test_features_are_the_penultimate_activations(size, width):
    D = DCGANDiscriminator(1, size, width=width)
    base = 4 if size in (32, 64) else 3
    features = DiscriminatorFeatures(D)(torch.randint(0, 256, (3, 1, 40, 40), dtype=torch.uint8))
    assert features.shape == (3, D.num_features)
    doublings = {64: 4, 48: 4, 32: 3}[size]
    assert D.num_features == width * 2 ** (doublings - 1) * base * base


def test_paper_size_gives_8192_features():
    assert DCGANDiscriminator(3, 64, width=64).num_features == 8192


def test_discriminator_is_frozen_and_unchanged_by_the_svm(tmp_path, faces):
    method, ctx = _fitted(tmp_path, faces)
    stored = torch.load(next((tmp_path / "stages").glob("dcgan-*.pt")), weights_only=True)
    D = method.features.discriminator
    assert not D.training and not method.features.training
    assert all(not p.requires_grad for p in D.parameters())
    method.features.train()  # a caller switching modes cannot unfreeze batch norm
    assert not D.training
    for name, value in D.state_dict().items():  # the SVM fit left weights and BN stats alone
        assert torch.equal(value, stored["discriminator"][name]), name
    scores = method.predict(faces[1].images)
    assert scores.shape == (len(faces[1]), len(faces[0].info.class_names))
    with torch.enable_grad():  # no graph through the frozen discriminator
        assert not method.features(faces[1].images).requires_grad
    record = ctx.extra["search"][0]
    assert record["search"] == "bayes" and set(record["params"]) == {"C", "gamma"}
    assert isinstance(method.svm.classifier, SVC) and method.svm.classifier.kernel == "rbf"


def test_features_come_from_the_discriminator_train_gan_trained(tmp_path, faces,
                                                                 monkeypatch):
    calls = []

    def spy(ctx, images, **options):
        D = options["discriminator"]
        initial = {k: v.clone() for k, v in D.state_dict().items()}
        calls.append((options, initial))
        return train_gan(ctx, images, **options)

    monkeypatch.setattr("ferbench_dcgan_svm.discriminator.train_gan", spy)
    method, ctx = _fitted(tmp_path, faces, hp={"augment": {"hflip": True}})
    ((options, initial),) = calls
    assert options["kind"] == "dcgan" and options["stage"] == "dcgan"
    assert (options["lr"], options["betas"]) == (RECIPE["lr"], RECIPE["betas"])
    assert (options["epochs"], options["batch_size"], options["augment"]) == (1, 16, True)
    D = options["discriminator"]
    assert method.features.discriminator is D and options["generator"] is method.G
    assert any(not torch.equal(initial[k], v) for k, v in D.state_dict().items())
    assert len(ctx.history["dcgan"]) == 1  # one epoch of the core GAN step, in the loop


@pytest.mark.parametrize("key, value", [("optimizer", "sgd"), ("schedule", "cosine"),
                                        ("weight_decay", 1e-4)])
def test_dcgan_recipe_other_than_adam_constant_is_refused(tmp_path, faces, key, value):
    ctx = _ctx(tmp_path, faces, **{key: value})
    with pytest.raises(UserError, match=f"option {key}: the DCGAN stage"):
        DCGANSVM(ctx.info, **TINY).fit(*faces, ctx)


def test_stage_is_trained_once_per_pretraining_data(tmp_path, faces):
    _fitted(tmp_path, faces)
    (stage,) = (tmp_path / "stages").glob("dcgan-*.pt")
    first = stage.stat().st_mtime_ns
    _, ctx = _fitted(tmp_path, faces, task=AUTask())  # the AU head reuses it
    assert [p.name for p in (tmp_path / "stages").glob("dcgan-*.pt")] == [stage.name]
    assert stage.stat().st_mtime_ns == first
    assert "dcgan" not in ctx.history  # no training loop ran
    other = (faces[0].subset(faces[0].subjects != "s002"), faces[1])
    _fitted(tmp_path, other)  # other pretraining subjects: a stage of their own
    assert len(list((tmp_path / "stages").glob("dcgan-*.pt"))) == 2


def test_one_linear_svm_per_au(tmp_path, faces):
    method, ctx = _fitted(tmp_path, faces, task=AUTask())
    assert len(method.svm.models) == len(AUS)
    fitted = [m for m in method.svm.models if not isinstance(m, float)]
    assert fitted and all(m.named_steps["clf"].kernel == "linear" for m in fitted)
    assert len(ctx.extra["search"]) == len(fitted)
    probs = method.predict(faces[1].images)
    assert probs.shape == (len(faces[1]), len(AUS))
    assert ((probs >= 0) & (probs <= 1)).all()


def test_generation_report_is_written(tmp_path, faces):
    _, ctx = _fitted(tmp_path, faces)
    report = json.loads((ctx.artifacts / "generation.json").read_text())
    assert report["n_generated"] == report["n_real"] == TINY["generated"]
    assert report[fd_name("hog")] >= 0 and report[kd_name("hog")] is not None
    assert -1 <= report["ssim_nearest_real"] <= 1
    assert (ctx.artifacts / "generated.png").is_file()


def test_nearest_finds_the_real_face_and_ssim_is_one_for_copies(faces):
    real = torch.nn.functional.interpolate(faces[0].images.float(), size=24).to(torch.uint8)
    assert torch.equal(nearest(real[[5, 2]], real), real[[5, 2]])

    class Copier(torch.nn.Module):  # a "generator" that returns real faces in [-1, 1]
        z_dim = 1

        def __init__(self):
            super().__init__()
            self.anchor = torch.nn.Parameter(torch.zeros(()))

        def forward(self, z):
            return real[: len(z)].float() / 127.5 - 1

    report = quality_report(Copier(), real[:10], n=10, seed=0)
    assert report["ssim_nearest_real"] == pytest.approx(1.0)


def test_pretraining_channels_must_match(tmp_path, faces):
    rgb = load_synthfer(image_size=16, subjects=2, per_class=1, channels=3)
    ctx = _ctx(tmp_path, faces, pretrain=rgb)
    with pytest.raises(UserError, match="pretrain.channels=1"):
        DCGANSVM(ctx.info, **TINY).fit(*faces, ctx)


def test_bad_options_are_user_errors(faces):
    with pytest.raises(UserError, match="model.folds"):
        DCGANSVM(faces[0].info, folds=1)
    with pytest.raises(UserError, match="model.width: expected an integer >= 1, got 'wide'"):
        DCGANSVM(faces[0].info, width="wide")
    with pytest.raises(UserError, match="DCGAN image size"):
        DCGANSVM(faces[0].info, size=50)
    with pytest.raises(UserError, match="model.c_grid"):
        DCGANSVM(faces[0].info, c_grid="0.1,1")
    assert DCGANSVM(faces[0].info, c_grid=0.5).c_grid == [0.5]


def test_every_reported_number_is_registered():
    spec = load_registry().get("models", "dcgan-dsvm")
    by_metric = {}
    for entry in spec.reported:
        by_metric.setdefault(entry.metric, []).append(entry)
    assert len(by_metric["macro_auc"]) == 8
    assert sum(k.startswith("per_class_auc.") for k in by_metric) == 8
    assert len(by_metric["mean_auc"]) == 8
    assert len([k for k in by_metric if k.startswith("per_au_auc.")]) == 14
    assert sorted(e.value for e in by_metric["accuracy"]) == [0.4452, 0.6044, 0.6187, 0.9764,
                                                              0.9857]
    assert {e.metric: e.value for e in spec.reported if e.metric in ("fid", "ssim", "is")} \
        == {"fid": 22.318, "ssim": 0.8942, "is": 1.874}
    per_class = [e for e in spec.reported if e.metric.startswith("per_class_auc.")]
    assert len(per_class) == 8 * 8 - 3  # no contempt in RAF-DB, KDEF, SFEW
    assert len(spec.reported) == 8 + 61 + 5 + 8 * 15 + 4
    averages = np.array(paper.AU_AVERAGE)
    assert averages.min() >= 0.6 and averages.max() <= 1


def _cli(tmp_path, monkeypatch, *args):
    """`ferbench run` in this process (no second torch import)."""
    options = ["data.subjects=4", "data.per_class=2", "data.image_size=24",
               *(f"model.{k}={v}" for k, v in TINY.items())]
    monkeypatch.setenv("FERBENCH_CACHE", str(tmp_path / "cache"))
    code = main(["run", "--model", "dcgan-dsvm", "--dataset", "synthfer",
                 "--pretrain-dataset", "synthfer", "--threads", "1", "--epochs", "1",
                 "--db", str(tmp_path / "runs.db"), "--out", str(tmp_path / "out"),
                 *(part for option in options for part in ("-o", option)), *args])
    assert code == 0
    with sqlite3.connect(tmp_path / "runs.db") as db:
        metrics, books = db.execute("SELECT metrics, bookkeeping FROM runs").fetchone()
    # the generation report is in the run record, not only in generation.json
    assert set(json.loads(books)["generation"]) >= {"n_generated", "ssim_nearest_real"}
    return json.loads(metrics)


@pytest.mark.parametrize("task, key", [("expression", "accuracy"), ("au", "mean_auc")])
def test_cli_runs_each_task_on_synthfer(tmp_path, monkeypatch, task, key):
    extra = ["--task", task] + (["-o", "data.aus=1,2,4,12,25"] if task == "au" else [])
    metrics = _cli(tmp_path, monkeypatch, *extra)
    assert 0 <= metrics[key] <= 1
    (artifacts,) = (tmp_path / "out").iterdir()
    assert (artifacts / "generation.json").is_file()
    assert (artifacts / "samples-dcgan-e001.png").is_file()
