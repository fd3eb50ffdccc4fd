"""RunStore: round trip, failures, crash safety (SIGKILL) and bad paths."""

import math
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from ferbench.errors import UserError
from ferbench.results.store import RunStore


def _record(**overrides):
    record = {
        "task": "expression", "dataset": "ckplus", "protocol": "kfold", "fold": 0,
        "model": "resnet18", "plugin": "ferbench", "plugin_version": "0.1.0",
        "config": {"model": "resnet18", "dataset": "ckplus", "protocol": "kfold",
                   "epochs": 5, "batch_size": 32, "lr": 0.001},
        "config_hash": "c0ffee", "recipe_hash": "abc123", "seed": 0, "manifest": "m1",
        "environment": {"ferbench": "0.1.0", "torch": "2.5.0", "cuda": None,
                        "plugins": {"ferbench": "0.1.0"}},
        "artifacts": "runs/1",
    }
    record.update(overrides)
    return record


METRICS = {"accuracy": 0.81, "macro_f1": 0.75, "macro_auc": None, "per_class_auc": [0.9, 0.8],
           "confusion_matrix": [[3, 1], [0, 4]], "class_names": ["happy", "sad"],
           "best_epoch": 3, "val_accuracy": 0.7, "epochs": 5}
TIMING = {"device": "cpu", "device_name": "AMD EPYC 7B13", "precision": "fp32",
          "latency_ms_median": 1.5, "latency_ms_p90": 1.9, "throughput_ips": 800.0,
          "throughput_batch": 64, "params": 11_200_000, "gflops": None,
          "peak_memory_mb": None, "train_seconds": 12.0}


def test_round_trip(tmp_path):
    path = tmp_path / "nested" / "runs.sqlite"
    with RunStore(path) as store:
        run_id = store.start(_record())
        running = store.get(run_id)
        assert running["status"] == "running"
        assert running["config"]["lr"] == 0.001
        assert running["environment"]["plugins"] == {"ferbench": "0.1.0"}
        assert running["metrics"] is None and running["ended"] is None

        store.finish(run_id, METRICS, TIMING)
        done = store.get(run_id)
    assert done["status"] == "finished"
    assert done["metrics"] == METRICS
    assert done["timing"] == TIMING
    assert done["ended"] >= done["started"]
    assert (done["task"], done["fold"], done["seed"]) == ("expression", 0, 0)
    assert RunStore(path).get(run_id + 1) is None

    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    conn.close()


def test_numpy_values_and_nan_become_plain_json(tmp_path):
    store = RunStore(tmp_path / "runs.sqlite")
    run_id = store.start(_record(seed=np.int64(7), fold=None))
    store.finish(run_id, {"accuracy": np.float32(0.5), "macro_auc": math.nan,
                          "confusion_matrix": np.array([[1, 0], [2, 3]])}, {"params": 10})
    run = store.get(run_id)
    assert run["seed"] == 7 and run["fold"] is None
    assert run["metrics"] == {"accuracy": 0.5, "macro_auc": None,
                              "confusion_matrix": [[1, 0], [2, 3]]}


def test_list_filters_newest_first(tmp_path):
    store = RunStore(tmp_path / "runs.sqlite")
    ids = [store.start(_record(model=model, dataset=dataset, started=1000.0 + i))
           for i, (model, dataset) in enumerate([("a", "ckplus"), ("b", "ckplus"), ("a", "fer")])]
    store.finish(ids[0], METRICS, TIMING)
    store.fail(ids[1], "boom")
    assert [r["id"] for r in store.list()] == ids[::-1]
    assert [r["id"] for r in store.list(model="a")] == [ids[2], ids[0]]
    assert [r["id"] for r in store.list(dataset="ckplus", model="a")] == [ids[0]]
    assert [r["id"] for r in store.list(status="finished")] == [ids[0]]
    assert [r["id"] for r in store.list(status="running")] == [ids[2]]
    assert [r["id"] for r in store.list(limit=2)] == [ids[2], ids[1]]
    with pytest.raises(UserError, match="unknown run status 'done'"):
        store.list(status="done")


def test_failed_run_keeps_its_error(tmp_path):
    store = RunStore(tmp_path / "runs.sqlite")
    run_id = store.start(_record())
    store.fail(run_id, "RuntimeError: CUDA out of memory")
    run = store.get(run_id)
    assert run["status"] == "failed"
    assert run["error"] == "RuntimeError: CUDA out of memory"
    assert run["metrics"] is None and run["ended"] is not None
    with pytest.raises(ValueError, match="not running"):
        store.finish(run_id, METRICS, TIMING)
    with pytest.raises(ValueError, match="no such run"):
        store.fail(run_id + 1, "x")


def test_unknown_record_key_is_rejected(tmp_path):
    store = RunStore(tmp_path / "runs.sqlite")
    with pytest.raises(ValueError, match="colour"):
        store.start(_record(colour="red"))
    with pytest.raises(TypeError, match="manifest"):
        store.start(_record(manifest={"a": 1}))
    assert store.list() == []


def test_sigkill_between_start_and_finish_leaves_store_readable(tmp_path):
    path = tmp_path / "runs.sqlite"
    store = RunStore(path)
    earlier = store.start(_record(fold=0))
    store.finish(earlier, METRICS, TIMING)
    store.close()

    child = textwrap.dedent(f"""
        import sys, time
        from ferbench.results.store import RunStore
        store = RunStore({str(path)!r})
        run_id = store.start({_record(fold=1)!r})
        print(run_id, flush=True)
        time.sleep(60)
        store.finish(run_id, {{"accuracy": 1.0}}, {{}})
    """)
    proc = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE, text=True)
    try:
        killed_id = int(proc.stdout.readline())
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL

    store = RunStore(path)
    assert store._conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert store.get(earlier)["status"] == "finished"
    assert store.get(earlier)["metrics"] == METRICS
    killed = store.get(killed_id)
    assert killed["status"] == "running" and killed["fold"] == 1
    assert killed["metrics"] is None
    assert [r["id"] for r in store.list(status="finished")] == [earlier]


@pytest.mark.parametrize("kind", ["directory", "not sqlite", "parent is a file", "foreign db",
                                  "newer schema"])
def test_bad_path_is_a_one_line_user_error(tmp_path, kind):
    path = tmp_path / "runs.sqlite"
    expected = "cannot open the run store"
    if kind == "directory":
        path.mkdir()
    elif kind == "not sqlite":
        path.write_text("id,accuracy\n1,0.5\n" * 200)
    elif kind == "parent is a file":
        (tmp_path / "file").write_text("x")
        path = tmp_path / "file" / "runs.sqlite"
    else:
        conn = sqlite3.connect(path)
        if kind == "foreign db":
            conn.execute("CREATE TABLE things (x)")
            expected = "not a ferbench run store"
        else:
            conn.execute("PRAGMA user_version = 99")
            expected = "schema 99 is newer"
        conn.commit()
        conn.close()
    with pytest.raises(UserError) as info:
        RunStore(path)
    message = str(info.value)
    assert message.startswith(str(path))
    assert expected in message
    assert "\n" not in message
