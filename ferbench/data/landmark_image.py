"""Landmark images: the 68-point iBUG face outline drawn as white polylines on black, the
conditioning input of landmark-guided expression transfer (Fan et al. 2023)."""

from __future__ import annotations

import cv2
import numpy as np
import torch

from ..errors import UserError

# (first, last, closed) index ranges of the 0-based iBUG-68 scheme, each drawn as one polyline
FACE_PARTS = (
    (0, 16, False),   # jaw
    (17, 21, False),  # brow on the image's left
    (22, 26, False),  # brow on the image's right
    (27, 30, False),  # nose bridge
    (31, 35, False),  # nostrils
    (36, 41, True),   # eye on the image's left
    (42, 47, True),   # eye on the image's right
    (48, 59, True),   # outer lips
    (60, 67, True),   # inner lips
)
_SHIFT = 4  # cv2 fixed-point bits: sub-pixel accuracy of 1/16 pixel


def draw_landmarks(landmarks, size: int, channels: int = 1, thickness: int = 1) -> torch.Tensor:
    """Landmarks (B, 68, 2) float (x, y) pixel coordinates -> uint8 images
    (B, channels, size, size): each face part a 255-valued polyline (cv2.polylines, 8-connected)
    on 0. A face with any NaN coordinate (a detection failure) gives a blank image."""
    points = torch.as_tensor(landmarks, dtype=torch.float64).cpu().numpy()
    if points.ndim != 3 or points.shape[1:] != (68, 2):
        raise UserError(f"landmarks: expected shape (B, 68, 2), got {points.shape}")
    if channels < 1 or thickness < 1 or size < 1:
        raise UserError(f"draw_landmarks: size, channels and thickness must be >= 1, got "
                        f"{size}, {channels}, {thickness}")
    out = np.zeros((len(points), size, size), np.uint8)
    for canvas, face in zip(out, points, strict=True):
        if np.isnan(face).any():
            continue
        fixed = np.round(face * (1 << _SHIFT)).astype(np.int32)
        for first, last, closed in FACE_PARTS:
            cv2.polylines(canvas, [fixed[first:last + 1]], closed, 255, thickness,
                          cv2.LINE_8, _SHIFT)
    return torch.from_numpy(out)[:, None].repeat(1, channels, 1, 1)
