"""`ferbench sweep`: a grid file or flags -> run_sweep -> a table of the cells."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from tabulate import tabulate

from ..errors import UserError
from ..results.store import RunStore
from .driver import SweepSummary, run_sweep
from .grid import grid_from_flags, load_grid


def summary_table(summary: SweepSummary) -> str:
    """The cells with their status and run id, then the counts and wall time."""
    rows = [[o.label, o.status, "" if o.run_id is None else o.run_id, o.message or ""]
            for o in summary.cells]
    table = tabulate(rows, headers=["cell", "status", "run id", "message"],
                     maxcolwidths=[None, None, None, 60])
    return (f"{table}\n{len(summary.cells)} cells: {summary.done} finished, "
            f"{summary.skipped} skipped, {summary.failed} failed in "
            f"{summary.wall_seconds:.1f} s")


def run_sweep_command(registry, db_path: str | Path, grid_path: str | None = None, *,
                      models: Sequence[str] = (), datasets: Sequence[str] = (),
                      protocols: Sequence[str] = (), folds: str | None = None,
                      seeds: str | None = None, k: int | None = None,
                      vary: Sequence[str] = (), options: Sequence[str] = (),
                      threads: int | None = None, data_root: str | None = None,
                      device: str | None = None, jobs: int = 1, ray_address: str | None = None,
                      artifacts_shared: str | None = None, out: str | None = None) -> int:
    """`ferbench sweep`: cells from GRID.yaml or from the flags (not both), run and
    recorded in the store at `db_path`; prints the table. Exit status 1 when a cell failed."""
    flagged = models or datasets or protocols or folds or seeds or k or vary or options
    if grid_path is not None:
        if flagged or threads or data_root or device:
            raise UserError(f"sweep: give {grid_path} or grid flags (--model, --dataset, "
                            "--seeds, --vary, -o ...), not both")
        cells = load_grid(grid_path)
    elif models and datasets:
        cells = grid_from_flags(models, datasets, protocols=protocols, folds=folds,
                                seeds=seeds, k=k, vary=vary, options=options, threads=threads,
                                data_root=data_root, device=device)
    else:
        raise UserError("sweep: expected a grid file (GRID.yaml) or --model and --dataset")
    with RunStore(db_path) as store:
        artifacts = Path(out) if out else store.path.parent / "artifacts"
        summary = run_sweep(registry, store, cells, out=artifacts, jobs=jobs,
                            ray_address=ray_address,
                            artifacts_shared=Path(artifacts_shared) if artifacts_shared
                            else None)
    print(summary_table(summary))
    if summary.failed:
        print(f"ferbench sweep: {summary.failed} cell(s) failed; see `ferbench runs "
              "--status failed`", file=sys.stderr)
    return 1 if summary.failed else 0
