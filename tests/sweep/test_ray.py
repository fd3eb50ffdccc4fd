"""The Ray executor on one local Ray instance (2 CPUs, started once for this module): the
same records as the local executor, artifacts returned to the driver or left on a shared
path, a task that fails twice recorded failed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ferbench.plugins import get_registry
from ferbench.results.store import RunStore
from ferbench.sweep import run_sweep

from .conftest import BAD, FAST_FERBENCH, GOOD

ray = pytest.importorskip("ray")
from ferbench.sweep.ray_executor import LOCAL, run_ray  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def local_ray(tmp_path_factory):
    """One Ray instance for the module; its workers share a dataset cache of their own."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FERBENCH_CACHE", str(tmp_path_factory.mktemp("ray-cache")))
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_ray_records_match_local_ones_and_artifacts_come_back(tmp_path):
    registry = get_registry()
    with RunStore(tmp_path / "ray.db") as store:
        summary = run_sweep(registry, store, [GOOD, BAD], out=tmp_path / "art",
                            ray_address=LOCAL, command=FAST_FERBENCH)
        assert (summary.done, summary.failed, summary.skipped) == (1, 1, 0)
        on_ray = store.list(status="finished")[0]
        failed = store.list(status="failed")[0]
    assert "depth" in failed["error"]
    artifacts = Path(on_ray["artifacts"])  # unpacked on the driver from the returned tar.gz
    assert artifacts.parent == tmp_path / "art"
    assert json.loads((artifacts / "metrics.json").read_text())["metrics"]
    assert ray.is_initialized()  # a Ray instance the sweep did not start is left running

    with RunStore(tmp_path / "local.db") as store:
        run_sweep(registry, store, [GOOD], out=tmp_path / "local", command=FAST_FERBENCH)
        local = store.list(status="finished")[0]
    assert on_ray["config_hash"] == local["config_hash"]
    assert on_ray["metrics"] == local["metrics"]


def test_a_task_that_fails_twice_is_recorded_failed(tmp_path, fake_ferbench):
    with RunStore(tmp_path / "ray.db") as store:
        summary = run_sweep(get_registry(), store, [GOOD], out=tmp_path / "art",
                            ray_address=LOCAL, command=fake_ferbench.command("kill"))
        [failed] = store.list()
    assert fake_ferbench.calls() == 2  # the first try and one retry
    assert summary.failed == 1 and failed["status"] == "failed"
    assert failed["error"].startswith("Ray task failed twice: ")
    assert "exit status -9" in failed["error"]
    assert failed["model"] == "tiny-cnn" and failed["config_hash"]


def test_shared_artifacts_stay_on_the_shared_path(tmp_path, fake_ferbench):
    results = []
    run_ray([GOOD], address=LOCAL, artifacts_shared=tmp_path / "shared",
            on_start=lambda cell: None, on_done=lambda cell, result: results.append(result),
            command=fake_ferbench.command("ok"))
    [result] = results
    assert result.artifacts is None
    folder = Path(result.record["artifacts"])
    assert folder.parent == tmp_path / "shared" and (folder / "metrics.json").exists()
    argv = result.record["metrics"]["argv"]
    assert argv[argv.index("--threads") + 1] == "1"
