"""Text views behind `ferbench runs` and `ferbench show`."""

import json
from datetime import datetime

from ferbench.results.store import RunStore
from ferbench.results.views import TaskShape, run_detail, runs_table
from ferbench.tasks.base import Column

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
        "bookkeeping": {"n_test": 19, "best_epoch": 4},
        "host": "node-1", "pid": 4321, "heartbeat": STARTED + 3700, "superseded": False,
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
    assert lines[0].split() == ["id", "status", "task", "model", "dataset", "protocol", "fold",
                                "seed", "main", "score", "started", "duration"]
    finished_line = next(line for line in lines if line.lstrip().startswith("12"))
    assert finished_line.split() == ["12", "finished", "expression", "resnet18", "ckplus",
                                     "kfold", "3", "1", "accuracy", "%", "81.23", "2024-05-01",
                                     "09:30:00", "1:02:05"]
    failed_line = next(line for line in lines if line.lstrip().startswith("13"))
    assert failed_line.split()[1] == "failed" and failed_line.split()[-1] == "—"
    assert runs_table([]) == "No runs recorded."


def test_runs_table_marks_superseded_and_interrupted_and_uses_the_task_score():
    old = {**_finished(), "id": 10, "superseded": True}
    killed = {**_finished(), "id": 11, "status": "interrupted", "metrics": None, "ended": None}
    au = {**_finished(), "id": 14, "task": "au", "metrics": {"mean_f1": 0.5123, "mean_auc": 0.7}}
    tasks = {"au": TaskShape("au", columns=(Column("mean_f1", "mean F1 %", True),))}
    lines = {line.split()[0]: line.split() for line in
             runs_table([old, killed, au], tasks).splitlines()[2:]}
    assert lines["10"][1:4] == ["finished", "(superseded)", "expression"]
    assert lines["11"][1:3] == ["interrupted", "expression"] and "—" in lines["11"]
    assert lines["14"][2:3] == ["au"] and lines["14"][8:12] == ["mean", "F1", "%", "51.23"]


def test_run_detail_shows_every_section():
    text = run_detail(_finished())
    assert text.startswith("run 12 · finished")
    for expected in ("recipe_hash     abc123", "duration        1:02:05", "accuracy    0.8123",
                     "host            node-1", "heartbeat       2024-05-01 10:31:40",
                     "bookkeeping\nn_test      19",
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
