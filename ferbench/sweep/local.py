"""The local executor: cells as `ferbench run` subprocesses on this machine, `jobs` at once."""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from .grid import Cell
from .worker import CellResult, run_cell


def cpu_cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else \
        os.cpu_count() or 1


def run_local(cells: Sequence[Cell], *, out: Path, jobs: int,
              on_start: Callable[[Cell], None], on_done: Callable[[Cell, CellResult], None],
              command: Sequence[str] | None = None) -> None:
    """Run `cells`, `jobs` at a time, each with `--threads max(1, cores // jobs)` unless
    the cell sets threads; `on_done` is called on this thread as each one ends. When
    interrupted, running cells are terminated and nothing more is reported."""
    threads = max(1, cpu_cores() // jobs)
    live: set[subprocess.Popen] = set()
    lock = threading.Lock()
    stopping = threading.Event()

    def launched(proc: subprocess.Popen) -> None:
        with lock:
            live.add(proc)
            if stopping.is_set():
                proc.terminate()

    def work(cell: Cell) -> CellResult:
        on_start(cell)
        return run_cell(cell.argv(threads), out, command, launched)

    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="ferbench-cell") as pool:
        futures = {pool.submit(work, cell): cell for cell in cells}
        try:
            for future in as_completed(futures):
                on_done(futures[future], future.result())
        except BaseException:
            for future in futures:
                future.cancel()
            with lock:
                stopping.set()
                for proc in live:
                    if proc.poll() is None:
                        proc.terminate()
            raise
