"""The local executor and the driver: tiny synthfer runs sequentially and two at once give
identical records, a failed cell is recorded failed, a rerun skips what finished."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from ferbench.errors import UserError
from ferbench.plugins import get_registry
from ferbench.results.store import RunStore
from ferbench.sweep import Cell, SweepSummary, run_sweep, run_sweep_command, summary_table
from ferbench.sweep.local import cpu_cores, run_local

from .conftest import BAD, FAST_FERBENCH, GOOD, TINY


def test_threads_split_the_cores_between_jobs_unless_the_cell_sets_them(tmp_path,
                                                                         fake_ferbench):
    cells = [Cell("m", "d", seed=0), Cell("m", "d", seed=1, threads=3)]
    started, done = [], {}
    run_local(cells, out=tmp_path / "art", jobs=2, on_start=started.append,
              on_done=lambda cell, result: done.update({cell.seed: result}),
              command=fake_ferbench.command("ok"))
    assert len(started) == 2 and fake_ferbench.calls() == 2
    argv = {seed: result.record["metrics"]["argv"] for seed, result in done.items()}
    assert argv[0][argv[0].index("--threads") + 1] == str(max(1, cpu_cores() // 2))
    assert argv[1][argv[1].index("--threads") + 1] == "3"
    for result in done.values():  # each run gets its own store and writes under --out
        assert argv[0][argv[0].index("--db") + 1] != argv[1][argv[1].index("--db") + 1]
        assert Path(result.record["artifacts"]).parent == tmp_path / "art"


def test_a_run_that_prints_no_record_is_a_failed_cell(tmp_path, fake_ferbench):
    done = []
    run_local([Cell("m", "d")], out=tmp_path, jobs=1, on_start=lambda cell: None,
              on_done=lambda cell, result: done.append(result),
              command=fake_ferbench.command("garbage"))
    assert done[0].record is None
    assert done[0].error == ("ferbench run --json printed no JSON record: "
                             "Warning: some plugin printed this")


def test_bad_executor_arguments(tmp_path):
    with RunStore(tmp_path / "r.db") as store:
        with pytest.raises(UserError, match="--jobs: expected a positive integer"):
            run_sweep(get_registry(), store, [GOOD], out=tmp_path, jobs=0)
        with pytest.raises(UserError, match="--jobs: not with --ray"):
            run_sweep(get_registry(), store, [GOOD], out=tmp_path, jobs=2, ray_address="local")
        with pytest.raises(UserError, match="--artifacts-shared: only with --ray"):
            run_sweep(get_registry(), store, [GOOD], out=tmp_path, artifacts_shared=tmp_path)
    with pytest.raises(UserError, match="expected a grid file"):
        run_sweep_command(get_registry(), tmp_path / "r.db", models=["tiny-cnn"])
    with pytest.raises(UserError, match="not both"):
        run_sweep_command(get_registry(), tmp_path / "r.db", "grid.yaml", models=["x"])


def test_sequential_and_parallel_sweeps_agree_and_a_rerun_skips(tmp_path, capsys):
    registry = get_registry()
    with RunStore(tmp_path / "sequential.db") as store:
        summary = run_sweep(registry, store, [GOOD], out=tmp_path / "art",
                            command=FAST_FERBENCH)
        [sequential] = store.list()
    assert (summary.done, summary.failed, summary.skipped) == (1, 0, 0)
    assert sequential["status"] == "finished" and summary.cells[0].run_id == sequential["id"]
    artifacts = Path(sequential["artifacts"])
    assert artifacts.parent == tmp_path / "art"
    assert json.loads((artifacts / "metrics.json").read_text())["metrics"]

    with RunStore(tmp_path / "parallel.db") as store:
        summary = run_sweep(registry, store, [GOOD, BAD], out=tmp_path / "art", jobs=2,
                            command=FAST_FERBENCH)
        [parallel], [failed] = store.list(status="finished"), store.list(status="failed")
    assert (summary.done, summary.failed, summary.skipped) == (1, 1, 0)
    assert [o.status for o in summary.cells] == ["finished", "failed"]
    assert summary.cells[0].message is None and "depth" in summary.cells[1].message
    assert "depth" in failed["error"] and failed["config_hash"]
    assert failed["ended"] >= failed["started"]
    assert parallel["config_hash"] == sequential["config_hash"]
    assert parallel["metrics"] == sequential["metrics"]
    assert parallel["artifacts"] != sequential["artifacts"]

    grid = tmp_path / "grid.yaml"
    grid.write_text("models: [tiny-cnn]\ndatasets: [synthfer]\nseeds: [0]\nrun:\n"
                    "  threads: 1\n" + "".join(f"  {k}: {v}\n" for k, v in TINY.items()))
    code = run_sweep_command(registry, tmp_path / "sequential.db", str(grid))
    lines = capsys.readouterr().out.splitlines()
    assert code == 0
    assert lines[-2].split()[-2:] == ["skipped", str(sequential["id"])]
    assert lines[-1].startswith("1 cells: 0 finished, 1 skipped, 0 failed in ")
    with RunStore(tmp_path / "sequential.db") as store:
        assert len(store.list()) == 1  # nothing ran, nothing was added


def test_summary_table_lists_cells_with_status_and_run_id():
    from ferbench.sweep import CellOutcome
    summary = SweepSummary(1, 1, 1, 2.5, [CellOutcome("a seed 0", "finished", 4),
                                          CellOutcome("a seed 1", "skipped", 2),
                                          CellOutcome("b seed 0", "failed", 5, "x " * 40)])
    lines = summary_table(summary).splitlines()
    assert lines[0].split() == ["cell", "status", "run", "id", "message"]
    assert lines[2].split() == ["a", "seed", "0", "finished", "4"]
    assert lines[-1] == "3 cells: 1 finished, 1 skipped, 1 failed in 2.5 s"
    assert max(len(line) for line in lines) < 100  # long errors wrap


def test_ray_without_ray_installed_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` fails as when not installed
    monkeypatch.delitem(sys.modules, "ferbench.sweep.ray_executor", raising=False)
    with RunStore(tmp_path / "r.db") as store:
        with pytest.raises(UserError, match=r"--ray: Ray is not installed; install "
                                            r"ferbench\[ray\]"):
            run_sweep(get_registry(), store, [GOOD], out=tmp_path, ray_address="local")
