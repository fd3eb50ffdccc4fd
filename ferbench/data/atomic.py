"""Atomic file writes for the on-disk caches."""

from __future__ import annotations

import os
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def write_atomically(path: Path, write: Callable[[BinaryIO], None], what: str) -> None:
    """Write `path` through a temporary file and a rename, so a reader never sees half a
    file; a folder that cannot be written gives a warning naming `what`, not an error."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                write(handle)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except OSError as exc:
        warnings.warn(f"{what} not written at {path.parent}: {exc.strerror or exc}",
                      stacklevel=4)
