"""Every test gets its own ferbench cache (stage cache included), store and registry."""

import pytest
import torch
from ferbench.plugins import set_registry

torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("FERBENCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("FERBENCH_DB", str(tmp_path / "runs.db"))
    monkeypatch.delenv("FERBENCH_PLUGINS", raising=False)
    monkeypatch.setattr("ferbench.engine.timer.DEFAULT_MIN_RUN_TIME", 0.05)
    monkeypatch.setattr("ferbench.engine.timer.DEFAULT_CALLS", 20)
    set_registry(None)
    yield
    set_registry(None)
