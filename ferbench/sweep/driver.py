"""The sweep driver: plan the cells, skip those whose config hash already finished, run the
rest locally or on Ray, and import every returned record; the driver alone writes the
store, so a killed sweep leaves finished cells recorded and reruns the others."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from ..errors import UserError
from ..results.store import RunStore
from .grid import Cell
from .progress import SweepProgress
from .worker import CellResult, unpack_artifacts


@dataclass
class CellOutcome:
    label: str
    status: str  # finished, failed or skipped
    run_id: int | None
    message: str | None = None  # the error of a failed cell, or a warning


@dataclass
class SweepSummary:
    done: int
    skipped: int
    failed: int
    wall_seconds: float
    cells: list[CellOutcome] = field(default_factory=list)


def planned_hash(registry, cell: Cell) -> str:
    """The config hash the cell's run will record."""
    from ..engine.plan import planned_hashes
    try:
        hashes = planned_hashes(registry, cell.config())
    except UserError as exc:
        raise UserError(f"sweep cell {cell.label}: {exc}") from None
    if len(hashes) != 1:
        raise ValueError(f"sweep cell {cell.label}: planned {len(hashes)} runs, expected one")
    return next(iter(hashes.values()))


def failed_record(cell: Cell, result: CellResult, config_hash: str) -> dict:
    """The record of a cell whose run never started (its error from the worker)."""
    config = cell.config()
    return {"status": "failed", "started": result.started, "ended": result.ended,
            "task": config.task, "dataset": cell.dataset, "protocol": cell.protocol,
            "fold": cell.fold, "model": cell.model, "seed": cell.seed, "config": config.as_dict(),
            "config_hash": config_hash, "error": result.error}


def run_sweep(registry, store: RunStore, cells: Sequence[Cell], *, out: Path, jobs: int = 1,
              ray_address: str | None = None, artifacts_shared: Path | None = None,
              command: Sequence[str] | None = None) -> SweepSummary:
    """Run the cells not yet finished in `store`, locally (`jobs` at once) or on Ray
    (`ray_address`, "local" for a Ray instance on this machine); artifacts go under `out`
    (or, on Ray, to `artifacts_shared` when the workers share that path)."""
    if jobs < 1:
        raise UserError(f"--jobs: expected a positive integer, got {jobs}")
    if jobs != 1 and ray_address is not None:
        raise UserError("--jobs: not with --ray (Ray runs as many cells at once as the "
                        "cluster has CPUs for them; set threads in the grid)")
    if artifacts_shared is not None and ray_address is None:
        raise UserError("--artifacts-shared: only with --ray (local runs write to --out)")
    if ray_address is None:
        from .local import run_local
        execute = partial(run_local, out=out, jobs=jobs)
    else:
        try:
            from .ray_executor import run_ray
        except ModuleNotFoundError as exc:
            if exc.name != "ray":
                raise
            raise UserError("--ray: Ray is not installed; install ferbench[ray]") from None
        execute = partial(run_ray, address=ray_address, artifacts_shared=artifacts_shared)
    start = time.perf_counter()
    hashes = {id(cell): planned_hash(registry, cell) for cell in cells}
    finished = {row["config_hash"]: row["id"] for row in store.list(status="finished")}
    outcomes = {id(cell): CellOutcome(cell.label, "skipped", finished[hashes[id(cell)]])
                for cell in cells if hashes[id(cell)] in finished}
    todo = [cell for cell in cells if id(cell) not in outcomes]

    running_label = "running" if ray_address is None else "in flight"
    with SweepProgress(len(todo), len(outcomes), running_label) as progress:
        def on_start(cell: Cell) -> None:
            progress.started()

        def on_done(cell: Cell, result: CellResult) -> None:
            record = dict(result.record) if result.record else \
                failed_record(cell, result, hashes[id(cell)])
            record.pop("id", None)
            if result.artifacts is not None:
                record["artifacts"] = str(unpack_artifacts(result.artifacts, out))
            run_id = store.import_run(record)
            message = record.get("error")
            if record["status"] == "finished" and record.get("config_hash") != hashes[id(cell)]:
                message = (f"recorded config hash {record.get('config_hash')}, planned "
                           f"{hashes[id(cell)]}: a rerun will not skip it (do the driver "
                           "and the workers resolve the device or plugins differently?)")
            outcomes[id(cell)] = CellOutcome(cell.label, record["status"], run_id, message)
            progress.ended(failed=record["status"] != "finished")

        if todo:
            execute(todo, on_start=on_start, on_done=on_done, command=command)
    ordered = [outcomes[id(cell)] for cell in cells]
    return SweepSummary(done=sum(o.status == "finished" for o in ordered),
                        skipped=sum(o.status == "skipped" for o in ordered),
                        failed=sum(o.status == "failed" for o in ordered),
                        wall_seconds=time.perf_counter() - start, cells=ordered)
