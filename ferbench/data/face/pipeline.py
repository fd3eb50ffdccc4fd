"""`align_faces`: detection, 68 landmarks and alignment for a list of image files, cached."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import torch

from ...errors import UserError
from ...progress import progress_bar
from ..imageio import read_image
from . import cache as face_cache
from .align import align_face
from .detect import DETECTORS, find_face
from .landmarks import predict_landmarks

Face = tuple[np.ndarray, np.ndarray]  # aligned uint8 (S, S, C) image, float32 (68, 2) points


@dataclass
class AlignedFaces:
    """The faces aligned from `paths`: `kept` indexes `paths` row by row; every other path is
    in `failures` with its reason."""

    images: torch.Tensor  # uint8 (M, C, size, size)
    landmarks: torch.Tensor  # float32 (M, 68, 2), x, y in the output image's pixels
    kept: np.ndarray  # int64 (M,)
    failures: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)


def align_faces(paths: Sequence[Path | str], *, size: int, channels: int,
                detector: str = "hog", margin: float = 0.25,
                landmarks: Sequence[np.ndarray | None] | None = None, upsample: int = 1,
                cache: bool = True) -> AlignedFaces:
    """Detect the largest face in each file (`detector` "hog": dlib, `upsample` pyramid
    levels; "haar": OpenCV Viola-Jones), find its 68 landmarks with dlib's predictor (or
    take `landmarks[i]`, 68x2 in input pixels, skipping detection), rotate the eyes level,
    crop a square around the landmarks with `margin` and resize to `size`. Results, failures
    included, are cached on disk by file content and settings."""
    if detector not in DETECTORS:
        raise UserError(f"unknown face detector {detector!r}; expected one of "
                        f"{', '.join(DETECTORS)}")
    if channels not in (1, 3):
        raise UserError(f"channels={channels!r} is invalid; expected 1 or 3")
    if size < 8 or margin < 0 or upsample < 0:
        raise UserError(f"invalid face settings size={size} margin={margin} "
                        f"upsample={upsample}; expected size >= 8, margin >= 0, upsample >= 0")
    if landmarks is not None and len(landmarks) != len(paths):
        raise ValueError(f"{len(landmarks)} landmark arrays for {len(paths)} paths")
    settings = {"size": size, "channels": channels, "detector": detector,
                "margin": float(margin), "upsample": upsample}
    images, points, kept, failures = [], [], [], []
    with progress_bar(len(paths), f"aligning faces ({detector})") as advance:
        for i, path in enumerate(paths):
            given = None if landmarks is None else landmarks[i]
            result = _cached_face(Path(path), given, settings, cache)
            advance()
            if isinstance(result, str):
                failures.append((str(path), result))
            else:
                images.append(result[0])
                points.append(result[1])
                kept.append(i)
    if images:
        image_tensor = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).contiguous()
        point_tensor = torch.from_numpy(np.stack(points).astype(np.float32))
    else:
        image_tensor = torch.empty((0, channels, size, size), dtype=torch.uint8)
        point_tensor = torch.empty((0, 68, 2), dtype=torch.float32)
    return AlignedFaces(image_tensor, point_tensor, np.asarray(kept, dtype=np.int64), failures)


def _cached_face(path: Path, given: np.ndarray | None, settings: dict,
                 use_cache: bool) -> Face | str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        return f"unreadable file ({exc.strerror or exc.__class__.__name__})"
    key = face_cache.cache_key(data, settings, given)
    if use_cache and (hit := face_cache.load(key)) is not None:
        return hit
    result = _align_file(path, given, settings)
    if use_cache:
        face_cache.store(key, result)
    return result


def _align_file(path: Path, given: np.ndarray | None, settings: dict) -> Face | str:
    """The aligned face of one file, or the reason there is none."""
    try:
        image = read_image(path, settings["channels"])
    except UserError as exc:
        return str(exc).removeprefix(f"{path}: ")
    gray = image[:, :, 0] if image.shape[2] == 1 else cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    if given is None:
        box = find_face(gray, settings["detector"], settings["upsample"])
        if box is None:
            return f"no face found by the {settings['detector']} detector"
        points = predict_landmarks(gray, box)
    else:
        points = np.asarray(given, dtype=np.float32)
        if points.shape != (68, 2) or not np.isfinite(points).all():
            return f"given landmarks have shape {points.shape} or non-finite values; " \
                   f"expected 68x2 finite (x, y)"
    try:
        return align_face(image, points, settings["size"], settings["margin"])
    except ValueError as exc:
        return str(exc)
