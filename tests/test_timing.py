"""Timing: single-call latency percentiles, load snapshots and contamination, `bench_model`,
the bench table beside the runs, and the bench command's flag errors."""

import csv
import io
import os
import signal
import subprocess
import sys

import numpy as np
import pytest
import torch
from torch import nn

import ferbench.engine.environment as environment
import ferbench.engine.timer as timer
from ferbench.data.info import DatasetInfo
from ferbench.data.transforms import Preprocess
from ferbench.engine.bench import bench_model, run_bench_command
from ferbench.errors import UserError
from ferbench.plugins import load_registry
from ferbench.results.bench_store import bench_csv, latest_bench, save_bench
from ferbench.results.store import RunStore

CALLS = 20
SHAPE = (1, 16, 16)


@pytest.fixture(autouse=True)
def quick(monkeypatch):
    monkeypatch.setattr(timer, "DEFAULT_CALLS", CALLS)
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def calm(monkeypatch):
    """An idle machine: no load, no other ferbench process."""
    monkeypatch.setattr(environment.os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    monkeypatch.setattr(environment, "other_ferbench_processes", lambda: [])


def linear() -> nn.Module:
    return nn.Sequential(Preprocess("none"), nn.Flatten(), nn.Linear(256, 3))


def test_latency_percentiles_from_single_timed_calls(monkeypatch, calm):
    numbers = []
    timeit = torch.utils.benchmark.Timer.timeit

    def spy(self, number=1000000):
        numbers.append(number)
        return timeit(self, number)

    monkeypatch.setattr(torch.utils.benchmark.Timer, "timeit", spy)
    result = timer.time_module(linear(), SHAPE, torch.device("cpu"), None, batch=8)
    assert result["n_calls"] == CALLS and numbers == [1] * CALLS
    assert 0 < result["latency_ms_p50"] <= result["latency_ms_p90"] <= result["latency_ms_p99"]
    assert result["latency_ms_median"] == result["latency_ms_p50"]
    assert result["throughput_ips"] > 0 and result["throughput_batch"] == 8
    assert result["params"] == 256 * 3 + 3
    assert result["gflops"] == pytest.approx(2 * 256 * 3 / 1e9)
    assert (result["device"], result["precision"], result["threads"]) == ("cpu", "fp32", 1)
    assert result["peak_memory_mb"] is None
    assert result["contaminated"] is False and result["contaminated_reason"] is None
    assert result["load_before"]["cpu_count"] == os.cpu_count()


def test_percentiles_are_those_of_the_call_times(monkeypatch, calm):
    monkeypatch.setattr(timer, "DEFAULT_CALLS", 200)
    seconds = [i / 1000 for i in range(1, 201)]  # 1 .. 200 ms
    monkeypatch.setattr(timer, "single_call_seconds", lambda fn, x, calls: seconds[:calls])
    result = timer.time_module(linear(), SHAPE, torch.device("cpu"), None, batch=4)
    assert result["n_calls"] == 200
    expected = np.percentile(np.arange(1, 201, dtype=float), [50, 90, 99])
    assert [result[f"latency_ms_p{q}"] for q in (50, 90, 99)] == pytest.approx(expected)
    assert expected == pytest.approx([100.5, 180.1, 198.01])  # linear interpolation


def test_predict_is_timed_when_there_is_no_inference_module(calm):
    class Scores:
        def inference_module(self):
            return None

        def predict(self, images):
            return images.float().mean((1, 2, 3))

    result = timer.time_inference(Scores(), SHAPE, torch.device("cpu"), None, batch=4)
    assert result["params"] is None and result["latency_ms_p99"] > 0


def test_contaminated_by_another_ferbench_process(monkeypatch):
    monkeypatch.setattr(environment.os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    monkeypatch.setattr(environment, "other_ferbench_processes", lambda: [4242])
    result = timer.time_module(linear(), SHAPE, torch.device("cpu"), None, batch=4)
    assert result["contaminated"] is True and "pid 4242" in result["contaminated_reason"]


def test_contaminated_by_high_load(monkeypatch):
    monkeypatch.setattr(environment.os, "getloadavg", lambda: (40.0, 2.0, 1.0))
    monkeypatch.setattr(environment, "other_ferbench_processes", lambda: [])
    result = timer.time_module(linear(), SHAPE, torch.device("cpu"), None, batch=4)
    assert result["contaminated"] is True
    assert "load average 40.00 above" in result["contaminated_reason"]
    assert result["load_after"]["loadavg_1m"] == 40.0


def test_load_threshold_counts_the_timing_threads():
    snapshot = {"loadavg_1m": 1.4, "cpu_count": 2, "ferbench_pids": []}
    assert environment.contamination([snapshot], threads=1) is None  # 1.4 <= 2 - 1 + 0.5
    assert environment.contamination([snapshot], threads=2) is not None  # 1.4 > 0.5


def test_other_ferbench_processes_skips_this_process_family():
    sleeper = "import time; time.sleep(60)"
    child = subprocess.Popen([sys.executable, "-c", sleeper, "ferbench-probe-child"])
    detached = int(subprocess.run(  # reparented away from this process once sh exits
        ["sh", "-c", f"{sys.executable} -c '{sleeper}' ferbench-probe-other >/dev/null "
         "2>&1 & echo $!"], capture_output=True, text=True, check=True).stdout)
    try:
        found = environment.other_ferbench_processes()
        assert detached in found
        assert child.pid not in found and os.getpid() not in found
        assert environment.load_snapshot()["ferbench_processes"] >= 1
    finally:
        child.kill()
        child.wait()
        os.kill(detached, signal.SIGKILL)


def test_bench_model_tiny_cnn(calm):
    registry = load_registry()
    record = bench_model(registry, "tiny-cnn", {"width": 4}, SHAPE, batches=(1, 4), threads=1,
                         device="cpu")
    info = DatasetInfo("x", tuple("abcdefg"), image_size=16)
    network = registry.get("models", "tiny-cnn").builder()(info, width=4)
    assert record["params"] == sum(p.numel() for p in network.parameters())
    assert (record["model"], record["input"], record["batches"]) == ("tiny-cnn", "1x16x16",
                                                                      [1, 4])
    assert record["model_options"] == {"width": 4} and record["threads"] == 1
    assert record["hardware"] == environment.cpu_name() and record["torch"] == torch.__version__
    assert record["n_calls"] == CALLS and record["throughput_batch"] == 4
    assert record["latency_ms_p50"] <= record["latency_ms_p90"] <= record["latency_ms_p99"]
    assert record["contaminated"] is False
    assert torch.get_num_threads() == 1


def _record(model="resnet18", options=None, threads=1, p50=1.0, contaminated=False,
            created=1.0):
    return {"created": created, "model": model, "model_options": options or {},
            "input": "1x48x48", "threads": threads, "device": "cpu", "hardware": "CPU X",
            "precision": "fp32", "latency_ms_p50": p50, "latency_ms_p90": 2 * p50,
            "latency_ms_p99": 3 * p50, "throughput_ips": 500.0, "throughput_batch": 64,
            "contaminated": contaminated,
            "contaminated_reason": "load" if contaminated else None}


def test_bench_store_round_trip_and_latest(tmp_path):
    db = tmp_path / "runs" / "ferbench.db"
    old = save_bench(db, _record(p50=1.0, created=1.0))
    new = save_bench(db, _record(p50=2.0, created=2.0))
    save_bench(db, _record(p50=9.0, created=3.0, contaminated=True))
    narrow = save_bench(db, _record(options={"widths": [32, 64, 128]}, p50=0.5))
    two = save_bench(db, _record(threads=2, p50=0.7))
    assert old < new
    latest = latest_bench(db)
    assert [(r["id"], r["latency_ms_p50"]) for r in latest] == [(narrow, 0.5), (new, 2.0),
                                                               (two, 0.7)]
    assert latest[0]["model_options"] == {"widths": [32, 64, 128]}
    with RunStore(db) as store:  # the run store still opens the shared file
        assert store.list() == []
    rows = list(csv.DictReader(io.StringIO(bench_csv(latest))))
    assert [row["latency_ms_p50"] for row in rows] == ["0.5", "2.0", "0.7"]
    assert rows[0]["model_options"] == '{"widths": [32, 64, 128]}'
    assert rows[1]["contaminated"] == "False" and rows[1]["peak_memory_mb"] == ""


def test_latest_bench_of_a_missing_file_is_empty(tmp_path):
    assert latest_bench(tmp_path / "none.db") == []
    assert not (tmp_path / "none.db").exists()


@pytest.mark.parametrize("flag, value, message", [
    ("input", "48x48", "--input: expected CxSxS"),
    ("input", "1x48x32", "--input: expected CxSxS"),
    ("batch", "64", "--batch: expected LATENCY,THROUGHPUT"),
    ("batch", "1,zero", "--batch: expected LATENCY,THROUGHPUT"),
])
def test_bad_bench_flags(tmp_path, flag, value, message):
    args = {"input": "1x16x16", "batch": "1,4", flag: value}
    with pytest.raises(UserError, match=message):
        run_bench_command(load_registry(), tmp_path / "db", "tiny-cnn", [], args["input"],
                          args["batch"], 1, "cpu", False, False)
    assert not (tmp_path / "db").exists()


def test_bench_options_must_be_model_options(tmp_path):
    with pytest.raises(UserError, match="-o lr: ferbench bench takes model"):
        run_bench_command(load_registry(), tmp_path / "db", "tiny-cnn", ["lr=0.1"], "1x16x16",
                          "1,4", 1, "cpu", False, False)


def test_bench_command_records_and_prints(tmp_path, calm):
    db = tmp_path / "runs" / "ferbench.db"
    text = run_bench_command(load_registry(), db, "tiny-cnn", ["model.width=4"], "1x16x16",
                             "1,4", 1, "cpu", False, False)
    assert "tiny-cnn" in text and "recorded as bench 1" in text
    out = run_bench_command(load_registry(), db, "tiny-cnn", ["model.width=4"], "1x16x16",
                            "1,4", 1, "cpu", False, True)
    row = next(csv.DictReader(io.StringIO(out)))
    assert row["id"] == "2" and row["model_options"] == '{"width": 4}'
    assert [r["id"] for r in latest_bench(db)] == [2]
