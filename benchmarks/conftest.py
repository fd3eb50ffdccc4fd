"""Shared benchmark fixtures."""

import pytest
import torch


@pytest.fixture
def one_thread():
    """Measure on one torch CPU thread (what the notes and tables compare)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
