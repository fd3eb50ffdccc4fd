"""Tests of the resgan plugin: network shapes, the paper's optimisation (per-iteration poly
decay with its learning rates), what inference runs, the ablation, registration and a tiny
CLI run."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from ferbench import DatasetInfo
from ferbench.cli import main
from ferbench.config import resolve_hparams
from ferbench.data.synthfer.dataset import load as load_synthfer
from ferbench.engine.context import RunContext
from ferbench.errors import UserError
from ferbench.plugins import load_registry, set_registry
from ferbench.tasks.expression import ExpressionTask
from torch import nn

from ferbench_resgan import method as resgan
from ferbench_resgan.networks import Discriminator, FeatureSynthesizer

WIDTH = 4  # keeps the tests fast


def info(size=48, in_chans=1, num_classes=7):
    return DatasetInfo(name="toy", class_names=tuple(f"c{i}" for i in range(num_classes)),
                       in_chans=in_chans, image_size=size)


def test_networks_have_the_papers_shapes():
    model = resgan.build(info(in_chans=3), width=WIDTH)
    x = torch.rand(2, 3, 48, 48) * 2 - 1
    maps = model.extractor.maps(x)
    assert maps.shape == (2, 8 * WIDTH, 6, 6)
    assert model.extractor.pool(maps).shape == (2, 8 * WIDTH)
    assert model.classifier(model.extractor(x)).shape == (2, 7)
    image = model.synthesizer(maps)
    assert image.shape == x.shape and image.abs().max() <= 1
    assert model.discriminator(image).shape == (2,)


def test_feature_extractor_is_resnet18_with_a_stride_1_stem():
    extractor = resgan.build(info(), width=64).extractor
    stem = extractor.resnet.conv1
    assert (stem.kernel_size, stem.stride, stem.in_channels) == ((3, 3), (1, 1), 1)
    assert isinstance(extractor.resnet.maxpool, nn.Identity)
    stages = [extractor.resnet.layer1, extractor.resnet.layer2, extractor.resnet.layer3,
              extractor.resnet.layer4]
    assert [len(s) for s in stages] == [2, 2, 2, 2]
    assert extractor.num_features == 512  # the paper's 512-d feature at width 64
    assert extractor.dropout.p == 0.5


def test_discriminator_is_vgg16_shaped_with_leaky_relu():
    D = Discriminator(1, 48, width=WIDTH)
    kinds = [type(m) for m in D.modules()]
    assert kinds.count(nn.Conv2d) == 13 and kinds.count(nn.MaxPool2d) == 5
    assert kinds.count(nn.Linear) == 3
    assert nn.LeakyReLU in kinds and nn.ReLU not in kinds
    assert not any(issubclass(k, nn.modules.batchnorm._BatchNorm) for k in kinds)


def test_inference_module_is_the_extractor_and_classifier_only():
    model = resgan.build(info(), width=WIDTH)
    module = model.inference_module()
    assert not any(isinstance(m, (Discriminator, FeatureSynthesizer)) for m in module.modules())
    expected = {id(p) for m in (model.extractor, model.classifier) for p in m.parameters()}
    assert {id(p) for p in module.parameters()} == expected
    images = torch.randint(0, 256, (3, 1, 48, 48), dtype=torch.uint8)
    assert module.eval()(images).shape == (3, 7)


def test_ablation_builds_no_synthesizer_or_discriminator():
    model = resgan.build_noadv(info(), width=WIDTH)
    assert model.synthesizer is None and model.discriminator is None
    assert set(model.generator_modules()) == {"extractor", "classifier"}


class RecordingContext(RunContext):
    """A RunContext that keeps the steppers a method asks for."""

    def stepper(self, params, **options):
        made = super().stepper(params, **options)
        self.extra.setdefault("steppers", []).append((made, options))
        return made


def fit(tmp_path, name, epochs=2):
    spec = load_registry(only="resgan").find("models", name)[0]
    hp = resolve_hparams(spec.defaults, {"epochs": epochs, "batch_size": 8}, spec.hparams)
    faces = load_synthfer(image_size=32, subjects=2, per_class=1)  # 16 faces, 8 classes
    task = ExpressionTask()
    model_info = task.model_info(faces.info)
    model = spec.builder()(model_info, width=WIDTH)
    ctx = RecordingContext(device=torch.device("cpu"), amp_dtype=None, seed=0, hparams=hp,
                           artifacts=tmp_path, task=task, info=model_info, quiet=True)
    before = {k: v.clone() for k, v in (model.discriminator or nn.Module()).state_dict().items()}
    model.fit(faces, faces, ctx)
    return model, ctx, before, 2 * epochs  # 16 faces in batches of 8


def test_poly_decay_per_iteration_with_the_papers_learning_rates(tmp_path):
    model, ctx, before, iterations = fit(tmp_path, "resgan")
    (g, g_options), (d, d_options) = ctx.extra["steppers"]
    assert g_options["per"] == d_options["per"] == "iteration"
    assert isinstance(g.optimizer, torch.optim.SGD) and isinstance(d.optimizer, torch.optim.Adam)
    g_group, d_group = g.optimizer.param_groups[0], d.optimizer.param_groups[0]
    assert (g_group["initial_lr"], g_group["momentum"], g_group["weight_decay"]) \
        == (3e-3, 0.9, 1e-4)
    assert (d_group["initial_lr"], d_group["betas"]) == (1e-4, (0.9, 0.99))
    for stepper, lr in ((g, 3e-3), (d, 1e-4)):
        assert stepper.scheduler.last_epoch == iterations  # stepped once per iteration
        factor = stepper.scheduler.lr_lambdas[0]
        assert [lr * factor(k) for k in range(iterations)] == pytest.approx(
            [lr * (1 - k / iterations) ** 0.9 for k in range(iterations)])
        assert stepper.lr == pytest.approx(0.0)
    history = ctx.history["train"]
    assert history[1]["lr"] == pytest.approx(3e-3 * 0.5 ** 0.9)  # after one of two epochs
    assert {"loss_c", "loss_d", "loss_adv"} <= set(history[0])
    after = model.discriminator.state_dict()
    assert any(not torch.equal(before[k], after[k]) for k in before)  # D stepped


def test_ablation_trains_without_adversarial_term_or_discriminator_step(tmp_path):
    model, ctx, _, iterations = fit(tmp_path, "resgan-noadv")
    [(g, options)] = ctx.extra["steppers"]  # one stepper: no discriminator step
    assert isinstance(g.optimizer, torch.optim.SGD) and options["per"] == "iteration"
    assert g.scheduler.last_epoch == iterations
    stepped = {id(p) for p in g.params}
    assert stepped == {id(p) for m in model.generator_modules().values()
                       for p in m.parameters()}
    assert all(set(h) & {"loss_d", "loss_adv"} == set() for h in ctx.history["train"])


@pytest.mark.parametrize("option, value", [("width", 5), ("width", "16"), ("width", True),
                                           ("dropout", 1.0), ("dropout", "x")])
def test_bad_options_name_the_option(option, value):
    with pytest.raises(UserError, match=option):
        resgan.build(info(), **{option: value})


def test_image_size_must_suit_the_networks():
    with pytest.raises(UserError, match="data.image_size"):
        resgan.build(info(size=36))


def test_registered_with_the_papers_reported_numbers():
    specs = {s.name: s for s in load_registry(only="resgan").find("models", "resgan*")}
    assert set(specs) == {"resgan", "resgan-noadv"}
    reported = {(r.dataset, r.metric): r.value for r in specs["resgan"].reported}
    assert reported[("jaffe", "accuracy")] == 0.966
    assert reported[("ckplus", "accuracy")] == 0.956
    assert reported[("fer2013", "accuracy")] == 0.728
    assert reported[("fer2013", "per_class_recall.fear")] == 0.57
    assert not specs["resgan-noadv"].reported
    for spec in specs.values():
        assert (spec.defaults["optimizer"], spec.defaults["schedule"]) == ("sgd", "poly")
    assert specs["resgan"].hparams == {"lr_d": 1e-4, "adv_weight": 1.0}


def test_plugin_module_does_not_import_torch():
    code = "import ferbench_resgan.plugin, sys; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_one_epoch_cli_run_on_synthfer(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("FERBENCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr("ferbench.engine.timer.DEFAULT_MIN_RUN_TIME", 0.05)
    monkeypatch.setattr("ferbench.engine.timer.DEFAULT_CALLS", 20)
    set_registry(None)
    code = main(["run", "--model", "resgan", "--dataset", "synthfer", "-o", "data.subjects=6",
                 "-o", "data.per_class=1", "-o", f"model.width={WIDTH}", "--epochs", "1",
                 "--threads", "1", "--db", str(tmp_path / "runs.db"),
                 "--out", str(tmp_path / "artifacts"), "--json"])
    set_registry(None)
    assert code == 0
    records = json.loads(capsys.readouterr().out)
    record = records[0] if isinstance(records, list) else records
    assert record["status"] == "finished" and record["model"] == "resgan"
    assert 0.0 <= record["metrics"]["accuracy"] <= 1.0
    folder = Path(record["artifacts"])
    assert (folder / "samples-e001.png").exists() and (folder / "loss.png").exists()
    history = json.loads((folder / "metrics.json").read_text())["history"]
    assert {"loss_c", "loss_d", "loss_adv", "val_accuracy"} <= set(history[0])
