"""Text views behind `ferbench runs` and `ferbench show`."""

import json
from datetime import datetime

from ferbench.results.store import RunStore
from ferbench.results.views import run_detail, runs_table

STARTED = datetime(2024, 5, 1, 9, 30, 0).timestamp()


def _finished():
    return {
        "id": 12, "status": "finished", "started": STARTED, "ended": STARTED + 3725,
        "task": "expression", "dataset": "ckplus", "protocol": "kfold", "fold": 3,
        "model": "resnet18", "plugin": "ferbench", "plugin_version": "0.1.0",
        "config": {"model": "resnet18", "epochs": 5, "lr": 1e-05},
        "config_hash": "c0ffee", "recipe_hash": "abc123", "seed": 1, "manifest": "m9",
        "metrics": {"accuracy": 0.8123, "macro_f1": 0.75, "macro_auc": None,
                    "per_class_auc": [0.91, 0.72], "confusion_matrix": [[7, 1], [2, 9]],
                    "class_names": ["happy", "surprise"], "best_epoch": 4},
        "timing": {"device": "cpu", "device_name": "AMD EPYC 7B13", "latency_ms_median": 1.25},
        "environment": {"torch": "2.5.1", "plugins": {"ferbench-x": "0.2"}},
        "artifacts": "runs/12", "error": None,
    }


def test_runs_table_lists_each_run():
    failed = {"id": 13, "status": "failed", "started": STARTED, "ended": None,
              "model": "vgg13", "dataset": "ckplus", "protocol": "holdout", "fold": None,
              "seed": 0, "metrics": None, "error": "boom"}
    text = runs_table([failed, _finished()])
    lines = text.splitlines()
    assert lines[0].split() == ["id", "status", "model", "dataset", "protocol", "fold", "seed",
                                "accuracy", "%", "macro-F1", "%", "started", "duration"]
    finished_line = next(line for line in lines if line.lstrip().startswith("12"))
    assert finished_line.split() == ["12", "finished", "resnet18", "ckplus", "kfold", "3", "1",
                                     "81.23", "75.00", "2024-05-01", "09:30:00", "1:02:05"]
    failed_line = next(line for line in lines if line.lstrip().startswith("13"))
    assert failed_line.split()[1] == "failed" and failed_line.split()[-1] == "—"
    assert runs_table([]) == "No runs recorded."


def test_run_detail_shows_every_section():
    text = run_detail(_finished())
    assert text.startswith("run 12 · finished")
    for expected in ("recipe_hash     abc123", "duration        1:02:05", "accuracy    0.8123",
                     "macro_auc   —", "latency_ms_median  1.25", "AMD EPYC 7B13",
                     '{"ferbench-x": "0.2"}', "lr      1e-05",
                     "confusion matrix (rows: true, columns: predicted)"):
        assert expected in text, expected
    auc_rows = [line.split() for line in text.splitlines() if line.startswith(("happy", "surp"))]
    assert ["happy", "0.91"] in auc_rows and ["surprise", "2", "9"] in auc_rows
    assert "error" not in text.splitlines()


def test_run_detail_of_a_stored_failed_run(tmp_path):
    store = RunStore(tmp_path / "runs.sqlite")
    run_id = store.start({"model": "vgg13", "dataset": "ckplus", "seed": 0})
    store.fail(run_id, "ValueError: bad lr")
    row = store.get(run_id)
    text = run_detail(row)
    assert text.splitlines()[0] == f"run {run_id} · failed"
    assert text.splitlines()[-2:] == ["error", "ValueError: bad lr"]
    assert "metrics" not in text.splitlines()
    assert json.loads(json.dumps(row))["error"] == "ValueError: bad lr"
