"""Shared fixtures: an isolated cache and store, and a throw-away toy dataset plugin."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from ferbench import DatasetInfo, DatasetSpec, hookimpl
from ferbench.data.faceset import FaceSet
from ferbench.plugins import load_registry, set_registry

REPO = Path(__file__).resolve().parents[1]
CKPLUS48 = REPO.parent / "shared" / "datasets" / "CK+48"


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """Every test gets its own cache, store and plugin registry."""
    monkeypatch.setenv("FERBENCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("FERBENCH_DB", str(tmp_path / "runs" / "ferbench.db"))
    monkeypatch.delenv("FERBENCH_PLUGINS", raising=False)
    monkeypatch.setattr("ferbench.engine.timer.DEFAULT_MIN_RUN_TIME", 0.05)
    monkeypatch.setattr("ferbench.engine.timer.DEFAULT_CALLS", 20)
    monkeypatch.setattr("ferbench.progress._QUIET", False)  # `run --json` sets it
    set_registry(None)
    yield
    set_registry(None)


def toy_load(root=None, *, subjects=8, per_class=4, size=16, strict=False):
    """Three classes told apart by which third of the image is bright, plus noise."""
    subjects, per_class, size = int(subjects), int(per_class), int(size)
    gen = torch.Generator().manual_seed(0)
    n = subjects * 3 * per_class
    labels = torch.arange(3).repeat_interleave(per_class).repeat(subjects)
    images = torch.randint(0, 100, (n, 1, size, size), generator=gen, dtype=torch.uint8)
    third = size // 3
    for c in range(3):
        images[labels == c, :, :, c * third:(c + 1) * third] += 120
    subject_ids = np.repeat([f"t{i:02d}" for i in range(subjects)], 3 * per_class)
    info = DatasetInfo("toy", ("anger", "happy", "surprise"), image_size=size,
                       num_subjects=subjects)
    return FaceSet(info, images, labels, subject_ids, np.array([f"toy/{i}" for i in range(n)]))


toy_plugin = SimpleNamespace(__name__="toy-plugin")
toy_plugin.ferbench_register_datasets = hookimpl(lambda: [DatasetSpec(
    name="toy", load=toy_load, requires_root=False, summary="toy test data")])


@pytest.fixture
def toy_registry():
    """The real registry plus the toy dataset plugin, installed process-wide."""
    registry = load_registry(extra=[toy_plugin])
    set_registry(registry)
    return registry


def run_cli(*argv: str, capsys) -> tuple[int, str, str]:
    from ferbench.cli import main
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def cli(capsys):
    return lambda *argv: run_cli(*argv, capsys=capsys)


def python_subprocess_env(extra_path: Path | None = None) -> dict:
    import os
    env = dict(os.environ)
    if extra_path is not None:
        env["PYTHONPATH"] = f"{extra_path}{os.pathsep}{env.get('PYTHONPATH', '')}"
    return env


PYTHON = sys.executable
