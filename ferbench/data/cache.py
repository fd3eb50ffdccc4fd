"""The decoded-dataset cache: a loaded FaceSet stored with `torch.save`, so the second run of
a dataset starts in seconds.

The key covers the dataset name, ferbench's version, LOADER_FORMAT_VERSION, the loader
options and a fingerprint of the files under the root (relative path, size, mtime)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .. import __version__
from ..specs import DatasetSpec
from .atomic import write_atomically
from .faceset import FaceSet
from .info import DatasetInfo

LOADER_FORMAT_VERSION = 3  # bump when a loader's output changes for the same files
TENSORS = ("images", "labels", "au_presence", "au_intensity", "landmarks", "soft_labels")
STRINGS = ("subjects", "keys", "official_split", "pair_keys", "official_fold")


def default_cache_dir() -> Path:
    """`$FERBENCH_CACHE` or `~/.cache/ferbench`."""
    return Path(os.environ.get("FERBENCH_CACHE") or Path.home() / ".cache" / "ferbench")


def fingerprint(root: Path | str | None) -> list | None:
    """Sorted (relative path, size, mtime_ns) of every file under `root` (or of `root` itself
    when it is a file); None for no root."""
    if root is None:
        return None
    root = Path(root).expanduser()
    if root.is_file():
        stat = root.stat()
        return [[root.name, stat.st_size, stat.st_mtime_ns]]
    entries = []
    for folder, _, files in os.walk(root):
        for name in files:
            path = Path(folder, name)
            try:
                stat = path.stat()
            except OSError:
                continue
            entries.append([path.relative_to(root).as_posix(), stat.st_size, stat.st_mtime_ns])
    return sorted(entries)


def cache_key(name: str, root: Path | str | None, options: dict[str, Any]) -> str:
    """The hex digest identifying one load of dataset `name`."""
    payload = {"dataset": name, "ferbench": __version__, "format": LOADER_FORMAT_VERSION,
               "options": sorted((str(k), str(v)) for k, v in options.items()),
               "root": None if root is None else str(Path(root).expanduser().resolve()),
               "files": fingerprint(root)}
    return hashlib.sha256(json.dumps(payload).encode()).hexdigest()


def pack_strings(values: Any) -> dict[str, torch.Tensor]:
    """Strings as one UTF-8 byte tensor plus lengths (unpickling one object per string would
    dominate the load time of a cache hit)."""
    encoded = [str(v).encode() for v in values]
    blob = torch.frombuffer(bytearray(b"".join(encoded)) or bytearray(1), dtype=torch.uint8)
    return {"blob": blob, "lengths": torch.tensor([len(b) for b in encoded], dtype=torch.int64)}


def unpack_strings(packed: dict[str, torch.Tensor]) -> np.ndarray:
    """The str array that `pack_strings` stored."""
    blob = packed["blob"].numpy().tobytes()
    ends = np.cumsum(packed["lengths"].numpy()).tolist()
    starts = [0, *ends][:-1]
    return np.asarray([blob[a:b].decode() for a, b in zip(starts, ends, strict=True)],
                      dtype=str)


def to_record(faceset: FaceSet) -> dict[str, Any]:
    """The FaceSet as tensors and plain Python values (loadable with weights_only=True)."""
    record: dict[str, Any] = {"info": dataclasses.asdict(faceset.info),
                              "skipped": [list(s) for s in faceset.skipped]}
    for name in TENSORS:
        record[name] = getattr(faceset, name)
    for name in STRINGS:
        value = getattr(faceset, name)
        record[name] = None if value is None else pack_strings(value)
    return record


def from_record(record: dict[str, Any]) -> FaceSet:
    """The FaceSet that `to_record` stored."""
    info = record["info"]
    for name in ("class_names", "tasks", "au_codes"):
        info[name] = tuple(info[name])
    fields = {name: record[name] for name in TENSORS}
    for name in STRINGS:
        fields[name] = None if record[name] is None else unpack_strings(record[name])
    return FaceSet(info=DatasetInfo(**info), skipped=[tuple(s) for s in record["skipped"]],
                   **fields)


def _read(path: Path) -> FaceSet | None:
    """The cached FaceSet at `path`, None when absent; a corrupt file is deleted."""
    if not path.is_file():
        return None
    try:
        return from_record(torch.load(path, map_location="cpu", weights_only=True))
    except Exception as exc:  # noqa: BLE001 - any unreadable or foreign file is rebuilt
        warnings.warn(f"dataset cache {path} unreadable ({exc.__class__.__name__}); rebuilding",
                      stacklevel=3)
        path.unlink(missing_ok=True)
        return None


def _write(path: Path, faceset: FaceSet) -> None:
    """Store atomically; a cache folder that cannot be written gives a warning."""
    write_atomically(path, lambda handle: torch.save(to_record(faceset), handle),
                     "dataset cache")


def cache_path(spec: DatasetSpec, root: Path | str | None, options: dict[str, Any], *,
               cache_dir: Path | str | None = None) -> Path:
    """Where the cached FaceSet of this load lives."""
    base = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    return base / "datasets" / f"{spec.name}-{cache_key(spec.name, root, options)[:24]}.pt"


def cached_load(spec: DatasetSpec, root: Path | str | None, options: dict[str, Any], *,
                cache_dir: Path | str | None = None) -> FaceSet:
    """`spec.loader()(root, **options)`, decoded once and then read from the cache."""
    path = cache_path(spec, root, options, cache_dir=cache_dir)
    faceset = _read(path)
    if faceset is None:
        faceset = spec.loader()(root, **options)
        _write(path, faceset)
    return faceset
