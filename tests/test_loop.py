"""The generic training loop and its services: steppers and schedules, resume after an
interruption, best-epoch selection, sample grids, cached stages, open hyper-parameters and
lazy modules."""

import json
from pathlib import Path

import pytest
import torch
from torch import nn

from ferbench import ModelSpec, hookimpl
from ferbench.config import BASE_HPARAMS, resolve_hparams
from ferbench.engine.batches import Batches
from ferbench.engine.context import RunContext
from ferbench.engine.steppers import Stepper
from ferbench.errors import UserError
from ferbench.plugins import load_registry, set_registry


def _ctx(tmp_path: Path, **hp) -> RunContext:
    return RunContext(device=torch.device("cpu"), amp_dtype=None, seed=0,
                      hparams={**BASE_HPARAMS, "epochs": 3, "batch_size": 4, **hp},
                      artifacts=tmp_path, quiet=True, resume_dir=tmp_path / "resume",
                      stage_dir=tmp_path / "stages")


def test_poly_schedule_per_iteration_follows_the_formula():
    w = nn.Parameter(torch.zeros(1))
    hp = {**BASE_HPARAMS, "optimizer": "sgd", "lr": 3e-3, "schedule": "poly",
          "poly_power": 0.9, "epochs": 2}
    stepper = Stepper([w], hp, per="iteration", iterations=5)
    seen = []
    for _ in range(10):
        seen.append(stepper.lr)
        stepper.step((w - 1).pow(2).sum())
    expected = [3e-3 * (1 - t / 10) ** 0.9 for t in range(10)]
    assert seen == pytest.approx(expected)


def test_separate_steppers_take_their_own_overrides(tmp_path):
    ctx = _ctx(tmp_path, optimizer="adam", lr=2e-4)
    g = ctx.stepper([nn.Parameter(torch.zeros(2))], betas=[0.5, 0.999])
    d = ctx.stepper([nn.Parameter(torch.zeros(2))], lr=1e-4)
    assert g.optimizer.param_groups[0]["betas"] == (0.5, 0.999)
    assert g.lr == 2e-4 and d.lr == 1e-4


def _toy(tmp_path, ctx, fail_at=None, samples=None):
    torch.manual_seed(0)
    x = torch.randn(24, 3)
    y = (x.sum(1) > 0).float()
    net = nn.Linear(3, 1)
    stepper = ctx.stepper(net.parameters())
    data = Batches({"x": x, "y": y}, batch_size=ctx.batch_size, device=ctx.device,
                   shuffle=True, seed=0, augmented=())

    def step(batch, iteration):
        if fail_at is not None and iteration == fail_at:
            raise KeyboardInterrupt
        loss = nn.functional.binary_cross_entropy_with_logits(net(batch["x"])[:, 0],
                                                              batch["y"])
        stepper.step(loss)
        return {"loss": loss}

    def validate():
        acc = ((net(x)[:, 0] > 0).float() == y).float().mean()
        return {"val_acc": acc}

    return net, ctx.loop(data, step, modules={"net": net}, steppers={"net": stepper},
                         validate=validate, select="val_acc", samples=samples)


def test_interrupted_training_resumes_where_it_stopped(tmp_path):
    _, full = _toy(tmp_path / "a", _ctx(tmp_path / "a"))
    ctx = _ctx(tmp_path / "b")
    with pytest.raises(KeyboardInterrupt):
        _toy(tmp_path / "b", ctx, fail_at=13)  # 6 iterations an epoch: dies in epoch 3
    assert (tmp_path / "b" / "resume" / "train.pt").exists()
    net, resumed = _toy(tmp_path / "b", _ctx(tmp_path / "b"))
    assert resumed.resumed_from == 2
    assert [h["loss"] for h in resumed.history] == pytest.approx([h["loss"] for h in full.history])
    assert resumed.best_epoch == full.best_epoch
    assert (tmp_path / "b" / "loss.png").exists() and (tmp_path / "b" / "best.pt").exists()
    saved = torch.load(tmp_path / "b" / "best.pt", weights_only=True)
    assert torch.equal(saved["net"]["weight"], net.state_dict()["weight"])


def test_a_short_stage_draws_a_sample_grid_each_epoch(tmp_path):
    fixed = torch.randint(0, 256, (4, 1, 8, 8), dtype=torch.uint8)
    _toy(tmp_path, _ctx(tmp_path), samples=lambda: fixed)
    assert sorted(p.name for p in tmp_path.glob("samples-e*.png")) == [
        "samples-e001.png", "samples-e002.png", "samples-e003.png"]


def test_a_long_stage_draws_about_twenty_evenly_spaced_grids(tmp_path):
    fixed = torch.randint(0, 256, (4, 1, 8, 8), dtype=torch.uint8)
    _toy(tmp_path, _ctx(tmp_path, epochs=45), samples=lambda: fixed)
    epochs = sorted(int(p.stem[-3:]) for p in tmp_path.glob("samples-e*.png"))
    assert epochs == [1, *range(3, 46, 3)]  # every third epoch (ceil(45 / 20)), first, last


def test_cached_stage_trains_once_per_inputs(tmp_path):
    ctx = _ctx(tmp_path)
    calls = []

    def train():
        calls.append(1)
        net.weight.data.fill_(7.0)

    net = nn.Linear(2, 2)
    assert ctx.cached_stage("gan", {"data": "abc"}).run({"g": net}, train) is False
    net = nn.Linear(2, 2)
    assert ctx.cached_stage("gan", {"data": "abc"}).run({"g": net}, train) is True
    assert calls == [1] and bool((net.weight == 7.0).all())
    assert ctx.cached_stage("gan", {"data": "other"}).run({"g": nn.Linear(2, 2)}, train) is False


def test_a_model_declares_its_own_hyper_parameters():
    hp = resolve_hparams({"lr": 2e-4}, {"lr_d": "1e-4", "n_critic": 5},
                         {"lr_d": 2e-4, "n_critic": 1})
    assert hp["lr_d"] == 1e-4 and hp["n_critic"] == 5 and hp["lr"] == 2e-4
    with pytest.raises(UserError, match="option n_critic: expected int"):
        resolve_hparams({}, {"n_critic": "five"}, {"n_critic": 1})
    with pytest.raises(UserError, match="unknown option 'lambda_l1'.*lr_d"):
        resolve_hparams({}, {"lambda_l1": 100}, {"lr_d": 2e-4})


def _lazy(info, **options):
    return nn.Sequential(nn.Flatten(), nn.LazyLinear(32), nn.ReLU(),
                         nn.Linear(32, info.num_outputs))


def test_lazy_modules_train_in_the_standard_loop(toy_registry, cli, tmp_path):
    plugin = type("P", (), {})()
    plugin.__name__ = "lazy-plugin"
    plugin.ferbench_register_models = hookimpl(lambda: [ModelSpec(
        name="lazy", build=_lazy, defaults={"epochs": 1})])
    from tests.conftest import toy_plugin
    set_registry(load_registry(extra=[toy_plugin, plugin]))
    code, out, err = cli("run", "--model", "lazy", "--dataset", "toy", "--json",
                         "--db", str(tmp_path / "r.db"))
    assert code == 0, err
    assert json.loads(out)["timing"]["params"] > 32


def test_unknown_hyper_parameter_fails_before_training(cli, tmp_path):
    code, _, err = cli("run", "--model", "tiny-cnn", "--dataset", "synthfer", "-o", "lr_d=1",
                       "--db", str(tmp_path / "r.db"))
    assert code == 2 and "unknown option 'lr_d'" in err and "\n" not in err.strip()
