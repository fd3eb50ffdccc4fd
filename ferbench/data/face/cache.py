"""Disk cache of aligned faces, keyed by the source file's bytes and the pipeline settings.

Each entry is one `.npz` under `$FERBENCH_CACHE/faces/` (default `~/.cache/ferbench/faces/`)
holding either the aligned image and landmarks or the reason the file failed."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from ..atomic import write_atomically
from ..cache import default_cache_dir

PIPELINE_VERSION = 1  # bump when the pipeline's output changes for the same settings


def cache_dir() -> Path:
    """The folder of face cache entries."""
    return default_cache_dir().expanduser() / "faces"


def cache_key(data: bytes, settings: dict[str, Any], landmarks: np.ndarray | None) -> str:
    """sha1 of the file bytes, the settings and (when given) the input landmarks."""
    digest = hashlib.sha1(data)
    digest.update(json.dumps({"version": PIPELINE_VERSION, **settings},
                             sort_keys=True).encode())
    if landmarks is not None:
        digest.update(np.ascontiguousarray(landmarks, dtype=np.float32).tobytes())
    return digest.hexdigest()


def _entry(key: str) -> Path:
    return cache_dir() / key[:2] / f"{key}.npz"


def load(key: str) -> tuple[np.ndarray, np.ndarray] | str | None:
    """(image, landmarks) or a failure reason for `key`; None when not cached (or unreadable)."""
    try:
        with np.load(_entry(key), allow_pickle=False) as entry:
            if "reason" in entry:
                return str(entry["reason"])
            return entry["image"], entry["landmarks"]
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None


def store(key: str, result: tuple[np.ndarray, np.ndarray] | str) -> None:
    """Write an entry atomically; a cache folder that cannot be written gives a warning."""
    path = _entry(key)
    arrays = ({"reason": np.array(result)} if isinstance(result, str)
              else {"image": result[0], "landmarks": result[1]})
    write_atomically(path, lambda handle: np.savez(handle, **arrays), "face cache")
