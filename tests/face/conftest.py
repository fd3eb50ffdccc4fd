"""Fixtures of the face-pipeline tests: a private face cache and drawn face files."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ferbench.data.face.cartoon import draw_face


@pytest.fixture(autouse=True)
def face_cache(tmp_path, monkeypatch) -> Path:
    """Every test gets its own empty face cache (never the user's ~/.cache)."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("FERBENCH_CACHE", str(folder))
    return folder / "faces"


@pytest.fixture
def face_file(tmp_path):
    """Writes a drawn face (or any array) as an image file and returns its path."""

    def write(name: str, pixels: np.ndarray | None = None, **face_args) -> Path:
        path = tmp_path / "images" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(draw_face(**face_args) if pixels is None else pixels).save(path)
        return path

    return write
