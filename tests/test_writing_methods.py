"""docs/writing-methods.md, taken literally: each example is extracted verbatim, registered as
a throw-away plugin and run through `ferbench run` on a small synthfer; plus resume after an
interruption and the reuse of a cached stage."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path

import pytest

from ferbench import hookimpl
from ferbench.plugins import load_registry, set_registry
from ferbench.results.store import RunStore

from .conftest import REPO

SMALL = ("--dataset", "synthfer", "-o", "data.subjects=8", "-o", "data.per_class=2",
         "--threads", "1")


def examples(markdown: str) -> dict[str, str]:
    """The code blocks of `markdown` preceded by `<!-- example: NAME -->`, by NAME."""
    return dict(re.findall(r"<!-- example: (\S+) -->\n```\w*\n(.*?)```", markdown, re.S))


def install_plugin(folder: Path, monkeypatch, name: str, source: str, *extra):
    """Import `source` as module `name` (so "name:attr" factories resolve) and install it,
    with the `extra` plugin objects, as the process-wide registry."""
    path = folder / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, module)
    spec.loader.exec_module(module)
    set_registry(load_registry(extra=[module, *extra]))
    return module


@pytest.fixture
def register(tmp_path, monkeypatch):
    return lambda name, source, *extra: install_plugin(tmp_path, monkeypatch, name, source,
                                                       *extra)


PAGE = REPO / "docs" / "writing-methods.md"


def doc_example(name: str) -> str:
    return examples(PAGE.read_text())[name]


def run_json(cli, *argv) -> dict:
    code, out, err = cli("run", *argv, "--json")
    assert code == 0, err
    record = json.loads(out)
    assert record["status"] == "finished"
    return record


def test_the_page_has_its_three_examples():
    assert set(examples(PAGE.read_text())) == {
        "dcgan", "hog-pixels-svm", "two-stage"}


def test_dcgan_example_trains_draws_and_classifies(register, cli, tmp_path):
    register("example_dcgan", doc_example("dcgan"))
    record = run_json(cli, "--model", "dcgan-svm", *SMALL, "--epochs", "1", "-o", "lr_d=1e-4",
                      "--db", str(tmp_path / "r.db"))
    folder = Path(record["artifacts"])
    assert record["config"]["hparams"]["lr_d"] == 1e-4
    assert (folder / "samples-e001.png").stat().st_size > 0
    assert (folder / "loss.png").stat().st_size > 0
    import torch
    best = torch.load(folder / "best.pt", weights_only=True)
    assert set(best) == {"generator", "discriminator"}
    history = json.loads((folder / "metrics.json").read_text())["history"]
    assert [h["epoch"] for h in history] == [1]
    assert {"loss_d", "loss_g"} <= set(history[0])
    assert 0.0 <= record["metrics"]["accuracy"] <= 1.0
    assert (folder / "confusion.png").exists()


def test_feature_svm_example_runs_for_expressions(register, cli, tmp_path):
    register("example_hog_pixels_svm", doc_example("hog-pixels-svm"))
    record = run_json(cli, "--model", "hog-pixels-svm", *SMALL, "-o", "model.cell=6",
                      "--db", str(tmp_path / "r.db"))
    folder = Path(record["artifacts"])
    assert (folder / "confusion.png").exists() and (folder / "predictions.npz").exists()
    assert record["metrics"]["confusion_matrix"]
    assert record["timing"]["latency_ms_median"] > 0


def stage_files(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "cache" / "stages").glob("autoencoder-*.pt"))


def test_two_stage_example_pretrains_once_and_reuses_the_stage(register, cli, tmp_path):
    register("example_two_stage", doc_example("two-stage"))
    argv = ("--model", "ae-linear", *SMALL, "--epochs", "1", "--pretrain-dataset", "synthfer",
            "-o", "ae_epochs=1", "--db", str(tmp_path / "r.db"))
    first = run_json(cli, *argv)
    folder = Path(first["artifacts"])
    for name in ("samples-pretrain-e001.png", "loss-pretrain.png", "best-pretrain.pt",
                 "loss.png", "best.pt"):
        assert (folder / name).stat().st_size > 0, name
    stages = json.loads((folder / "metrics.json").read_text())["stages"]
    assert set(stages) == {"pretrain", "train"}
    assert first["bookkeeping"]["pretrain"]["dataset"] == "synthfer"
    assert first["timing"]["params"] > 0
    assert first["bookkeeping"]["best_epoch"] == 1
    assert first["bookkeeping"]["best_validation"] is not None
    curve = first["bookkeeping"]["curve"]  # the store keeps the validation curve
    assert curve["epoch"] == [1]
    assert curve["value"] == [round(first["bookkeeping"]["best_validation"], 6)]
    [stage] = stage_files(tmp_path)
    written = stage.stat().st_mtime_ns

    code, out, err = cli("run", *argv)
    assert code == 0, err
    assert f"autoencoder: reused {stage}" in err
    assert stage_files(tmp_path) == [stage] and stage.stat().st_mtime_ns == written
    [second] = [r for r in RunStore(tmp_path / "r.db").list(status="finished")
                if r["id"] != first["id"]]
    second_folder = Path(second["artifacts"])
    assert not (second_folder / "loss-pretrain.png").exists()
    assert set(json.loads((second_folder / "metrics.json").read_text())["stages"]) == {"train"}


def test_two_stage_example_without_a_pretrain_dataset_names_the_flag(register, cli, tmp_path):
    register("example_two_stage", doc_example("two-stage"))
    code, _, err = cli("run", "--model", "ae-linear", *SMALL, "--epochs", "1",
                       "--db", str(tmp_path / "r.db"))
    assert code == 2
    assert err.strip().splitlines()[-1] == ("ferbench: error: this method needs a 'pretrain' "
                                            "dataset (give it with --pretrain-dataset)")


class InterruptAtEpoch:
    """A lifecycle-hook plugin that raises KeyboardInterrupt (Ctrl-C) once, at `epoch`."""

    def __init__(self, epoch: int):
        self.__name__ = "interrupt-once"
        self.epoch, self.fired = epoch, False

    @hookimpl
    def ferbench_epoch_end(self, run_id, epoch, metrics):
        if epoch == self.epoch and not self.fired:
            self.fired = True
            raise KeyboardInterrupt


def test_interrupted_dcgan_example_resumes_on_the_same_command(register, cli, tmp_path):
    interrupt = InterruptAtEpoch(2)
    register("example_dcgan", doc_example("dcgan"), interrupt)
    db = tmp_path / "r.db"
    argv = ("run", "--model", "dcgan-svm", *SMALL, "--epochs", "3", "--db", str(db))
    code, _, err = cli(*argv)
    assert code == 130 and interrupt.fired, err
    [checkpoint] = (tmp_path / "cache" / "resume").glob("*/train.pt")
    assert [r["status"] for r in RunStore(db).list()] == ["failed"]

    code, _, err = cli(*argv)
    assert code == 0, err
    assert f"resuming from epoch 1 ({checkpoint})" in err  # epoch 2 died before its checkpoint
    assert not checkpoint.parent.exists()
    [done] = RunStore(db).list(status="finished")
    folder = Path(done["artifacts"])
    history = json.loads((folder / "metrics.json").read_text())["history"]
    assert [h["epoch"] for h in history] == [1, 2, 3]
    assert sorted(p.name for p in folder.glob("samples-e*.png")) == [
        "samples-e002.png", "samples-e003.png"]
