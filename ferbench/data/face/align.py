"""Alignment: rotate so the eye centres are level, crop a square around the landmarks with
a margin, resize. All geometry is one affine matrix, applied to pixels and landmarks alike."""

from __future__ import annotations

import math

import cv2
import numpy as np

from .landmarks import LEFT_EYE, RIGHT_EYE


def eye_centres(landmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The mean of each eye's six landmarks: (image-left eye, image-right eye)."""
    return landmarks[LEFT_EYE].mean(axis=0), landmarks[RIGHT_EYE].mean(axis=0)


def alignment_matrix(landmarks: np.ndarray, size: int, margin: float) -> np.ndarray:
    """The 2x3 affine matrix from input pixels to the aligned `size` x `size` output: the
    eyes are level, the landmarks' bounding box (after rotation) is centred, and its longer
    side plus `margin` of it on each side fills the output. ValueError when the eyes
    coincide."""
    left, right = eye_centres(landmarks)
    dx, dy = right - left
    if math.hypot(dx, dy) < 1.0:
        raise ValueError("landmarks degenerate: the eye centres coincide")
    centre = (left + right) / 2
    rotation = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])),
                                       math.degrees(math.atan2(dy, dx)), 1.0)
    rotated = apply(rotation, landmarks)
    low, high = rotated.min(axis=0), rotated.max(axis=0)
    side = float((high - low).max()) * (1 + 2 * margin)
    scale = size / max(side, 1.0)
    matrix = rotation * scale
    matrix[:, 2] += (size - 1) / 2 - scale * (low + high) / 2
    return matrix


def apply(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    """`points` (N, 2) mapped through a 2x3 affine matrix."""
    return (points @ matrix[:, :2].T + matrix[:, 2]).astype(np.float32)


def warp(image: np.ndarray, matrix: np.ndarray, size: int) -> np.ndarray:
    """`image` (H, W, C) uint8 warped to (size, size, C). When the matrix shrinks, the image is
    first area-averaged down (no aliasing); borders repeat the edge pixels."""
    scale = math.sqrt(abs(np.linalg.det(matrix[:, :2])))
    if scale < 1.0:
        h, w = image.shape[:2]
        nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
        sx, sy = nw / w, nh / h
        image = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_AREA)
        # a pixel centre x of the original lies at (x + 0.5) * sx - 0.5 in the shrunk image
        unshrink = np.array([[1 / sx, 0, 0.5 / sx - 0.5], [0, 1 / sy, 0.5 / sy - 0.5],
                             [0, 0, 1]])
        matrix = matrix @ unshrink
    out = cv2.warpAffine(image, matrix, (size, size), flags=cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_REPLICATE)
    return out.reshape(size, size, image.shape[2] if image.ndim == 3 else 1)


def align_face(image: np.ndarray, landmarks: np.ndarray, size: int,
               margin: float) -> tuple[np.ndarray, np.ndarray]:
    """The aligned (size, size, C) uint8 face and its landmarks in output pixels."""
    matrix = alignment_matrix(landmarks, size, margin)
    return warp(image, matrix, size), apply(matrix, landmarks)
