"""End to end through the CLI with a throw-away dataset plugin: train, evaluate, time,
record, leaderboard; lifecycle hooks; failures recorded."""

import json
from types import SimpleNamespace

import pytest
import torch

from ferbench import ModelSpec, hookimpl
from ferbench.plugins import load_registry, set_registry
from ferbench.results.store import RunStore

from .conftest import toy_plugin


def test_run_records_metrics_timing_and_artifacts(toy_registry, cli, tmp_path):
    db = tmp_path / "runs.db"
    code, out, _ = cli("run", "--model", "tiny-cnn", "--dataset", "toy", "--epochs", "2",
                       "--db", str(db), "--json", "-o", "lr=0.01")
    assert code == 0
    record = json.loads(out)
    assert record["status"] == "finished"
    metrics, timing = record["metrics"], record["timing"]
    assert 0 <= metrics["accuracy"] <= 1 and 0 <= metrics["macro_f1"] <= 1
    assert sum(map(sum, metrics["confusion_matrix"])) == record["bookkeeping"]["n_test"]
    assert timing["latency_ms_median"] > 0 and timing["throughput_ips"] > 0
    assert timing["params"] > 1000 and timing["gflops"] > 0
    assert record["config"]["hparams"]["lr"] == 0.01
    assert record["environment"]["torch"]
    artifacts = tmp_path / "artifacts"
    folder = next(artifacts.iterdir())
    assert {"metrics.json", "confusion.png", "best.pt"} <= {p.name for p in folder.iterdir()}
    assert RunStore(db).get(record["id"])["manifest"] == record["manifest"]


def test_all_folds_are_recorded_and_aggregated(toy_registry, cli, tmp_path):
    db = str(tmp_path / "runs.db")
    code, _, _ = cli("run", "--model", "tiny-cnn", "--dataset", "toy", "--protocol", "kfold",
                     "--k", "3", "--folds", "all", "--epochs", "1", "--db", db)
    assert code == 0
    rows = RunStore(db).list(status="finished")
    assert sorted(r["fold"] for r in rows) == [0, 1, 2]
    assert len({r["recipe_hash"] for r in rows}) == 1
    code, out, _ = cli("leaderboard", "--db", db, "--output", str(tmp_path / "lb"))
    assert code == 0
    assert "expression · toy · kfold" in out and "3 folds" in out


@pytest.mark.parametrize("model", ["hog-svm-linear", "logreg-pixels"])
def test_classic_methods_run(toy_registry, cli, tmp_path, model):
    code, out, _ = cli("run", "--model", model, "--dataset", "toy", "--json",
                       "--db", str(tmp_path / "r.db"), "-o", "data.size=24")
    assert code == 0
    record = json.loads(out)
    assert record["metrics"]["accuracy"] > 0.8  # the toy classes are linearly separable


def test_lifecycle_hooks_observe_a_run(cli, tmp_path):
    events = []
    logger = SimpleNamespace(__name__="logger")
    logger.ferbench_run_started = hookimpl(lambda run_id, config: events.append("start"))
    logger.ferbench_epoch_end = hookimpl(
        lambda run_id, epoch, metrics: events.append(f"epoch{epoch}"))
    logger.ferbench_run_finished = hookimpl(
        lambda run_id, status, metrics: events.append(status))
    set_registry(load_registry(extra=[toy_plugin, logger]))
    code, _, _ = cli("run", "--model", "tiny-cnn", "--dataset", "toy", "--epochs", "2",
                     "--db", str(tmp_path / "r.db"))
    assert code == 0
    assert events == ["start", "epoch1", "epoch2", "finished"]


def test_a_crash_is_recorded_as_failed(cli, tmp_path):
    def broken_build(info, **options):
        raise RuntimeError("exploded while building")

    plugin = SimpleNamespace(__name__="broken-model")
    plugin.ferbench_register_models = hookimpl(
        lambda: [ModelSpec(name="exploding", build=broken_build)])
    set_registry(load_registry(extra=[toy_plugin, plugin]))
    db = str(tmp_path / "r.db")
    assert cli("run", "--model", "tiny-cnn", "--dataset", "toy", "--epochs", "1",
               "--db", db)[0] == 0
    with pytest.raises(RuntimeError, match="exploded"):
        cli("run", "--model", "exploding", "--dataset", "toy", "--db", db)
    rows = RunStore(db).list()
    assert [r["status"] for r in rows] == ["failed", "finished"]
    assert "exploded while building" in rows[0]["error"]


def test_model_options_reach_build_and_bad_ones_are_user_errors(toy_registry, cli, tmp_path):
    db = str(tmp_path / "r.db")
    code, out, _ = cli("run", "--model", "tiny-cnn", "--dataset", "toy", "--epochs", "1",
                       "--db", db, "--json", "-o", "model.width=4")
    assert code == 0
    small = json.loads(out)["timing"]["params"]
    code, out, _ = cli("run", "--model", "tiny-cnn", "--dataset", "toy", "--epochs", "1",
                       "--db", db, "--json", "-o", "model.width=8")
    assert json.loads(out)["timing"]["params"] > small
    code, _, err = cli("run", "--model", "tiny-cnn", "--dataset", "toy", "--db", db,
                       "-o", "model.depth=3")
    assert code == 2 and "depth" in err and "Traceback" not in err


def test_cross_dataset_maps_classes_by_name(cli, tmp_path):
    from dataclasses import replace

    from ferbench import DatasetSpec

    from .conftest import toy_load

    def other_load(root=None, strict=False):
        data = toy_load(subjects=4)  # toy's first 4 subjects' images: one in 3 kept as is
        altered = data.images ^ (torch.arange(len(data)) % 3 != 0).to(torch.uint8)[:, None,
                                                                                  None, None]
        return replace(data, images=altered, info=replace(
            data.info, name="toy2", class_names=("anger", "happy", "fear")))

    plugin = SimpleNamespace(__name__="toy2-plugin")
    plugin.ferbench_register_datasets = hookimpl(lambda: [DatasetSpec(
        name="toy2", load=other_load, requires_root=False)])
    set_registry(load_registry(extra=[toy_plugin, plugin]))
    code, out, _ = cli("run", "--model", "logreg-pixels", "--train-dataset", "toy",
                       "--test-dataset", "toy2", "--db", str(tmp_path / "r.db"), "--json")
    assert code == 0
    record = json.loads(out)
    assert record["protocol"] == "cross" and record["dataset"] == "toy->toy2"
    assert record["bookkeeping"]["class_names"] == ["anger", "happy"]
    assert record["bookkeeping"]["dropped_classes"] == ["fear", "surprise"]
    # toy2's anger and happy samples but those pixel-identical to a toy image
    duplicates = record["bookkeeping"]["cross_duplicates_dropped"]
    assert duplicates == sum(i % 3 == 0 for i in range(4 * 3 * 4) if i // 4 % 3 < 2)
    assert record["bookkeeping"]["n_test"] == 4 * 2 * 4 - duplicates
    code, _, err = cli("run", "--model", "logreg-pixels", "--train-dataset", "toy",
                       "--test-dataset", "toy2", "--pretrain-dataset", "toy2",
                       "--db", str(tmp_path / "r.db"))
    assert code == 2 and "it is the test dataset of this cross-dataset run" in err


@pytest.mark.parametrize("signal_name,status", [("SIGTERM", "failed"),
                                                ("SIGKILL", "interrupted")])
def test_a_killed_run_is_never_marked_finished(tmp_path, signal_name, status):
    import signal
    import subprocess
    import time

    from .conftest import PYTHON

    db = tmp_path / "r.db"
    base = [PYTHON, "-m", "ferbench.cli", "run", "--model", "tiny-cnn", "--dataset",
            "synthfer", "-o", "data.subjects=8", "-o", "data.per_class=2", "--db", str(db)]
    subprocess.run([*base, "--epochs", "1"], check=True, capture_output=True)
    proc = subprocess.Popen([*base, "--epochs", "500"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and len(RunStore(db).list()) < 2:
        time.sleep(0.2)
    time.sleep(1.0)
    proc.send_signal(getattr(signal, signal_name))
    proc.wait(timeout=60)
    rows = RunStore(db).list()
    assert [r["status"] for r in rows] == [status, "finished"]
    assert rows[1]["metrics"]["accuracy"] is not None  # the earlier run is intact


def test_deterministic_runs_are_recorded_and_reset(toy_registry, cli, tmp_path):
    db = str(tmp_path / "runs.db")
    try:
        code, out, _ = cli("run", "--model", "tiny-cnn", "--dataset", "toy", "--epochs", "1",
                           "--deterministic", "--db", db, "--json")
        assert code == 0 and json.loads(out)["bookkeeping"]["deterministic"] is True
        assert torch.are_deterministic_algorithms_enabled()
        code, out, _ = cli("run", "--model", "tiny-cnn", "--dataset", "toy", "--epochs", "1",
                           "--db", db, "--json")
        assert code == 0 and json.loads(out)["bookkeeping"]["deterministic"] is False
        assert not torch.are_deterministic_algorithms_enabled()
    finally:
        torch.use_deterministic_algorithms(False)


def test_a_test_set_of_training_images_only_is_refused():
    from ferbench.data.crossdataset import drop_duplicates
    from ferbench.errors import UserError

    from .conftest import toy_load
    data = toy_load(subjects=2)
    with pytest.raises(UserError, match="every test image is also a training image"):
        drop_duplicates(data, data.subset(list(range(5))))
    kept, dropped = drop_duplicates(data.subset(list(range(5))), data)
    assert dropped == 5 and len(kept) == len(data) - 5
