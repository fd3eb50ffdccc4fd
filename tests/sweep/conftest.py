"""Sweep fixtures: `ferbench` commands for the executors (the real one with short inference
timing, and a stand-in) and the tiny synthfer cells the end-to-end tests run."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from ferbench.sweep import Cell

HERE = Path(__file__).resolve().parent
# `ferbench` with 0.05 s of inference timing per batch size instead of 1 s
FAST_FERBENCH = [sys.executable, "-c",
                 "import sys, ferbench.engine.timer as timer; "
                 "timer.DEFAULT_MIN_RUN_TIME = 0.05; "
                 "from ferbench.cli import main; sys.exit(main(sys.argv[1:]))"]
TINY = {"epochs": 1, "batch_size": 16, "data.subjects": 6, "data.per_class": 2,
        "data.image_size": 24, "model.width": 4}
GOOD = Cell(model="tiny-cnn", dataset="synthfer", seed=0, threads=1, options=TINY)
BAD = Cell(model="tiny-cnn", dataset="synthfer", seed=0, threads=1,
           options={**TINY, "model.depth": 2})  # tiny-cnn has no depth option


@pytest.fixture
def fake_ferbench(tmp_path):
    """A stand-in `ferbench`: `.command(mode)` (mode "ok" or "kill") and `.calls()`, how
    many times it ran."""
    counter = tmp_path / "calls.txt"
    return SimpleNamespace(
        command=lambda mode: [sys.executable, str(HERE / "fake_ferbench.py"), str(counter),
                              mode],
        calls=lambda: len(counter.read_text().splitlines()) if counter.exists() else 0)
