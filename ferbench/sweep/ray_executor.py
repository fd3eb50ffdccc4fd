"""The Ray executor: each cell is a Ray task that runs `ferbench run` on a worker with a
worker-local run store and returns the record (and the artifacts as tar.gz bytes unless the
workers write them to a shared path). Imported only for `ferbench sweep --ray`."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import ray

from ..errors import UserError
from .grid import Cell
from .local import cpu_cores
from .worker import CellResult, pack_artifacts, run_cell

LOCAL = "local"  # `--ray` without an address: a Ray instance on this machine


class CellKilled(RuntimeError):
    """The run's process was killed by a signal: Ray retries the task once."""


@ray.remote(max_retries=1, retry_exceptions=True)
def run_cell_task(argv: list[str], shared: str | None,
                  command: list[str] | None) -> CellResult:
    """One cell on a Ray worker; artifacts go to `shared` or come back as tar.gz bytes."""
    with tempfile.TemporaryDirectory(prefix="ferbench-ray-") as tmp:
        out = Path(shared) if shared else Path(tmp) / "artifacts"
        result = run_cell(argv, out, command)
        if result.killed:
            raise CellKilled(result.error)
        folder = result.record.get("artifacts") if result.record else None
        if shared is None and folder and Path(folder).is_dir():
            result.artifacts = pack_artifacts(Path(folder))
        return result


def _connect(address: str) -> None:
    try:
        if address == LOCAL:
            ray.init(num_cpus=cpu_cores(), include_dashboard=False)
        else:
            ray.init(address=address)
    except ConnectionError as exc:
        raise UserError(f"--ray {address}: cannot connect to a Ray cluster ({exc})") from None


def _gpus(cell: Cell, cluster_gpus: float) -> int:
    if cell.device == "cuda":
        return 1
    return 1 if cell.device in (None, "auto") and cluster_gpus >= 1 else 0


def _last_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[-1] if lines else type(exc).__name__


def run_ray(cells: Sequence[Cell], *, address: str, artifacts_shared: Path | None,
            on_start: Callable[[Cell], None], on_done: Callable[[Cell, CellResult], None],
            command: Sequence[str] | None = None) -> None:
    """Submit every cell as a task (CPUs = the cell's threads, default 1; one GPU when the
    cell's device is cuda, or auto on a cluster with GPUs) and report each as it returns;
    `on_start` is called at submission, so "running" counts tasks Ray has not finished.
    Starts (and afterwards stops) a local Ray instance when `address` is LOCAL and none is
    running in this process."""
    started_here = not ray.is_initialized()
    if started_here:
        _connect(address)
    try:
        cluster_gpus = ray.cluster_resources().get("GPU", 0)
        shared = str(artifacts_shared) if artifacts_shared else None
        pending: dict[ray.ObjectRef, tuple[Cell, float]] = {}
        for cell in cells:
            threads = cell.threads or 1
            task = run_cell_task.options(num_cpus=threads, num_gpus=_gpus(cell, cluster_gpus))
            ref = task.remote(cell.argv(threads), shared, list(command) if command else None)
            pending[ref] = cell, time.time()
            on_start(cell)
        try:
            while pending:
                ready, _ = ray.wait(list(pending), num_returns=1)
                cell, submitted = pending.pop(ready[0])
                try:
                    result = ray.get(ready[0])
                except ray.exceptions.RayError as exc:
                    result = CellResult(None, f"Ray task failed twice: {_last_line(exc)}",
                                        submitted, time.time())
                on_done(cell, result)
        except BaseException:
            for ref in pending:
                ray.cancel(ref)
            raise
    finally:
        if started_here:
            ray.shutdown()
