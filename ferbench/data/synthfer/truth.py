"""The exact expression-transfer truth of synthfer samples: the target's person, take (pose,
framing, lighting, blur, noise) wearing exactly the source's action units."""

from __future__ import annotations

import re

import numpy as np
import torch

from ...errors import UserError
from ..faceset import FaceSet
from . import identity
from .actions import CLASS_NAMES
from .dataset import expressions, render_in_chunks, takes

KEY = re.compile(r"s(\d+)/([a-z]+)/(\d+)")


def _parse(faceset: FaceSet, index: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Subject number, class index and take number of the samples at `index`, from keys."""
    rows = []
    for key in faceset.keys[index].tolist():
        match = KEY.fullmatch(key)
        if match is None or match[2] not in CLASS_NAMES:
            raise UserError(f"{faceset.info.name}: sample key {key!r} is not a synthfer key "
                            "'s007/happy/3'; exact truths need samples of synthfer.load")
        rows.append((int(match[1]), CLASS_NAMES.index(match[2]), int(match[3])))
    table = np.array(rows, dtype=np.int64).reshape(-1, 3)
    return table[:, 0], table[:, 1], table[:, 2]


def render_truths(faceset: FaceSet, source, target) -> tuple[torch.Tensor, torch.Tensor]:
    """Images uint8 (M, C, H, W) and landmarks float32 (M, 68, 2) of target samples `target`
    (person and take) showing the AU intensities of source samples `source` (M ints each)."""
    source, target = np.asarray(source, np.int64), np.asarray(target, np.int64)
    if source.shape != target.shape or source.ndim != 1:
        raise ValueError(f"source and target must be two equal 1-d index arrays, got shapes "
                         f"{source.shape} and {target.shape}")
    channels, size = faceset.images.shape[1], faceset.images.shape[-1]
    if not len(source):
        return (torch.empty((0, channels, size, size), dtype=torch.uint8),
                torch.empty((0, 68, 2), dtype=torch.float32))
    seed, level = faceset.info.extra["seed"], faceset.info.extra["difficulty"]
    src_subject, src_class, src_take = _parse(faceset, source)
    subject, _, take = _parse(faceset, target)
    aus, side = expressions(seed, level, src_subject, src_class, src_take)
    images, landmarks = render_in_chunks(identity.sample(seed, subject), aus, side,
                                         takes(seed, level, subject, take), size, channels)
    return images, torch.from_numpy(landmarks)
