"""Grids of runs (`ferbench sweep`): a grid expands to cells, each one `ferbench run`
subprocess run locally or as a Ray task; the driver alone imports the returned records."""

from .command import run_sweep_command, summary_table
from .driver import CellOutcome, SweepSummary, run_sweep
from .grid import Cell, grid_from_flags, load_grid

__all__ = ["Cell", "CellOutcome", "SweepSummary", "grid_from_flags", "load_grid",
           "run_sweep", "run_sweep_command", "summary_table"]
