"""RunStore: round trip, failures, crash safety (SIGKILL), interrupted runs, heartbeats,
superseded runs, imports, the version-1 migration and bad paths."""

import math
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time

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
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 3
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
    assert killed["status"] == "interrupted" and killed["fold"] == 1
    assert killed["pid"] == proc.pid and killed["metrics"] is None
    assert [r["id"] for r in store.list(status="finished")] == [earlier]
    assert [r["id"] for r in store.list(status="interrupted")] == [killed_id]
    assert store.list(status="running") == []

    assert store.prune_interrupted() == 1
    assert [r["id"] for r in store.list()] == [earlier]
    assert store.get(earlier)["metrics"] == METRICS


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


def test_start_records_process_and_heartbeat_is_renewed(tmp_path):
    store = RunStore(tmp_path / "runs.sqlite")
    run_id = store.start(_record())
    run = store.get(run_id)
    assert (run["pid"], run["host"]) == (os.getpid(), store.host)
    assert run["status"] == "running" and run["superseded"] is False
    first = run["heartbeat"]
    time.sleep(0.01)
    store.heartbeat(run_id)
    assert store.get(run_id)["heartbeat"] > first
    store.finish(run_id, METRICS, TIMING, {"n_test": 8, "class_names": ["happy", "sad"]})
    done = store.get(run_id)
    assert done["bookkeeping"] == {"n_test": 8, "class_names": ["happy", "sad"]}
    with pytest.raises(ValueError, match="not running"):
        store.heartbeat(run_id)


def _set(store, run_id, **columns):
    assignments = ", ".join(f"{key} = ?" for key in columns)
    store._conn.execute(f"UPDATE runs SET {assignments} WHERE id = ?", (*columns.values(), run_id))


def _dead_pid() -> int:
    """The pid of a process that has exited."""
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)
    return int(child.stdout)


def test_dead_pid_on_this_host_is_interrupted(tmp_path):
    store = RunStore(tmp_path / "runs.sqlite")
    alive = store.start(_record(fold=0))
    dead = store.start(_record(fold=1))
    _set(store, dead, pid=_dead_pid())
    assert store.get(alive)["status"] == "running"
    assert store.get(dead)["status"] == "interrupted"
    assert [r["id"] for r in store.list(status="interrupted")] == [dead]


def test_stale_heartbeat_on_another_host_is_interrupted(tmp_path):
    store = RunStore(tmp_path / "runs.sqlite", stale_after=600)
    fresh, stale, legacy = (store.start(_record(fold=fold)) for fold in range(3))
    now = time.time()
    _set(store, fresh, host="gpu-node-7", pid=1, heartbeat=now - 60)
    _set(store, stale, host="gpu-node-7", pid=1, heartbeat=now - 601)
    _set(store, legacy, host=None, pid=None, heartbeat=None, started=now - 3600)  # schema 1
    statuses = {r["id"]: r["status"] for r in store.list()}
    assert statuses == {fresh: "running", stale: "interrupted", legacy: "interrupted"}
    store.finish(stale, METRICS, TIMING)  # a slow worker that was alive after all may finish
    assert store.get(stale)["status"] == "finished"
    assert store.prune_interrupted() == 1
    assert sorted(r["id"] for r in store.list()) == [fresh, stale]


def test_superseded_runs_are_kept_and_flagged(tmp_path):
    store = RunStore(tmp_path / "runs.sqlite")
    ids = []
    for i, (fold, task, status) in enumerate([(0, "expression", "finished"),
                                              (0, "expression", "finished"),
                                              (0, "expression", "failed"),
                                              (1, "expression", "finished"),
                                              (0, "au", "finished")]):
        run_id = store.start(_record(fold=fold, task=task, started=1000.0 + i,
                                     recipe_hash="r-au" if task == "au" else "r"))
        if status == "finished":
            store.finish(run_id, METRICS, TIMING)
        else:
            store.fail(run_id, "boom")
        ids.append(run_id)
    flags = {r["id"]: r["superseded"] for r in store.list()}
    assert flags == {ids[0]: True, ids[1]: False, ids[2]: False, ids[3]: False,
                     ids[4]: False}
    assert [r["id"] for r in store.list(include_superseded=False)] == ids[:0:-1]
    assert [r["id"] for r in store.list(task="au")] == [ids[4]]
    assert store.get(ids[0])["metrics"] == METRICS


def _complete(**overrides):
    record = {**_record(), "status": "finished", "started": 1000.0, "ended": 1100.0,
              "metrics": METRICS, "timing": TIMING, "bookkeeping": {"n_test": 8},
              "error": None, "pid": 4242, "host": "worker-3", "heartbeat": 1090.0}
    record.update(overrides)
    return record


def test_import_run_inserts_a_complete_record(tmp_path):
    worker = RunStore(tmp_path / "worker.sqlite")
    worker_id = worker.start(_record(fold=3))
    worker.finish(worker_id, METRICS, TIMING, {"n_test": 8})
    from_worker = worker.get(worker_id)

    store = RunStore(tmp_path / "driver.sqlite")
    kept = store.start(_record(fold=0))
    imported = store.import_run(from_worker)
    assert imported != kept
    run = store.get(imported)
    for key in ("status", "started", "ended", "fold", "metrics", "timing", "bookkeeping",
                "pid", "host", "config", "environment", "recipe_hash"):
        assert run[key] == from_worker[key], key
    assert store.import_run(from_worker) == imported  # a retried import adds nothing
    other = store.import_run(_complete(status="failed", error="OOM", metrics=None))
    assert store.get(other)["error"] == "OOM" and store.get(other)["status"] == "failed"
    assert len(store.list()) == 3


@pytest.mark.parametrize("overrides,error", [({"status": "running"}, "complete record"),
                                             ({"ended": None}, "missing"),
                                             ({"colour": "red"}, "colour"),
                                             ({"fold": [1, 2]}, "fold")])
def test_import_run_rejects_incomplete_records(tmp_path, overrides, error):
    store = RunStore(tmp_path / "runs.sqlite")
    with pytest.raises((ValueError, TypeError), match=error):
        store.import_run(_complete(**overrides))
    assert store.list() == []


def _v1_store(path):
    from ferbench.results.store import _SCHEMA_V1
    conn = sqlite3.connect(path)
    conn.execute(_SCHEMA_V1)
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO runs (status, started, ended, model, recipe_hash, fold, seed, "
                 "metrics) VALUES ('finished', 1.0, 2.0, 'vgg13', 'r', 0, 0, ?)",
                 ('{"accuracy": 0.5}',))
    conn.commit()
    conn.close()


def test_version_1_store_migrates_and_keeps_its_rows(tmp_path):
    path = tmp_path / "v1.sqlite"
    _v1_store(path)
    with RunStore(path) as store:
        (run,) = store.list()
        assert run["metrics"] == {"accuracy": 0.5} and run["model"] == "vgg13"
        assert run["bookkeeping"] is None and run["heartbeat"] is None
        new = store.start(_record())
        store.finish(new, METRICS, TIMING, {"epochs": 5})
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 3
    assert conn.execute("SELECT count(*) FROM runs").fetchone()[0] == 2
    conn.close()
    assert RunStore(path).get(new)["bookkeeping"] == {"epochs": 5}  # reopening is a no-op


def test_a_deleted_runs_id_is_never_given_to_a_later_run(tmp_path):
    store = RunStore(tmp_path / "runs.sqlite")
    kept = store.start(_record(fold=0))
    dead = store.start(_record(fold=1))
    _set(store, dead, pid=_dead_pid())
    assert store.prune_interrupted() == 1  # the newest row goes
    assert store.start(_record(fold=1)) == dead + 1 and kept < dead


def test_version_2_store_is_rebuilt_with_its_ids_kept_and_not_reused(tmp_path):
    from ferbench.results.store import _MIGRATE_V2
    path = tmp_path / "v2.sqlite"
    _v1_store(path)
    conn = sqlite3.connect(path)
    for statement in _MIGRATE_V2:
        conn.execute(statement)
    conn.execute("PRAGMA user_version = 2")
    conn.execute("INSERT INTO runs (id, status, started, model, pid, host) "
                 "VALUES (7, 'running', 3.0, 'resnet18', 1, 'elsewhere')")
    conn.commit()
    conn.close()
    with RunStore(path) as store:
        assert sorted(r["id"] for r in store.list()) == [1, 7]
        assert store.get(7)["host"] == "elsewhere"
        store._conn.execute("DELETE FROM runs WHERE id = 7")
        assert store.start(_record()) == 8
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 3
    assert conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'").fetchall() == [
        ("runs_recipe",)]
    conn.close()


def test_opening_a_new_store_waits_for_another_process_lock(tmp_path):
    """SQLite refuses the switch to WAL at once while another connection holds a write lock
    (a torchrun rank or sweep worker creating the same new store): the store waits instead."""
    path = tmp_path / "new.db"
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    threading.Timer(0.3, other.execute, ["ROLLBACK"]).start()
    with RunStore(path) as store:  # raised UserError "database is locked" before the fix
        assert store.list() == []
    other.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
