"""Landmark images: the iBUG-68 parts drawn as polylines, nothing else, blank for NaN."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ferbench.data.landmark_image import draw_landmarks
from ferbench.errors import UserError

# the parts as iBUG documents them, written out independently of the module
OPEN = [range(0, 17), range(17, 22), range(22, 27), range(27, 31), range(31, 36)]
CLOSED = [range(36, 42), range(42, 48), range(48, 60), range(60, 68)]


def _arc(n, cx, cy, rx, ry, start, stop):
    t = np.linspace(start, stop, n)
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], 1)


def _loop(n, cx, cy, rx, ry):
    return _arc(n, cx, cy, rx, ry, np.pi, np.pi + 2 * np.pi * (n - 1) / n)


def schematic_face() -> np.ndarray:
    """A cartoon face on a 64x64 canvas with integer coordinates, parts well apart."""
    return np.round(np.concatenate([
        _arc(17, 32, 30, 28, 29, np.pi, 0),  # jaw along the lower half
        _arc(5, 19, 18, 7, 3, np.pi, 2 * np.pi), _arc(5, 45, 18, 7, 3, np.pi, 2 * np.pi),
        np.stack([np.full(4, 32), np.linspace(22, 34, 4)], 1),
        np.stack([np.linspace(27, 37, 5), np.full(5, 40)], 1),
        _loop(6, 19, 25, 5, 2), _loop(6, 45, 25, 5, 2),
        _loop(12, 32, 50, 10, 5), _loop(8, 32, 50, 6, 2),
    ]))


def _segments() -> list[tuple[np.ndarray, np.ndarray]]:
    face = schematic_face()
    segs = []
    for part, closed in [(p, False) for p in OPEN] + [(p, True) for p in CLOSED]:
        idx = list(part) + ([part[0]] if closed else [])
        segs += [(face[a], face[b]) for a, b in zip(idx, idx[1:], strict=False)]
    return segs


def _distance_to_segments(size: int) -> np.ndarray:
    yy, xx = np.mgrid[:size, :size]
    p = np.stack([xx, yy], -1).astype(float)
    best = np.full((size, size), np.inf)
    for a, b in _segments():
        ab = b - a
        t = np.clip(((p - a) @ ab) / max(ab @ ab, 1e-12), 0, 1)
        best = np.minimum(best, np.linalg.norm(p - (a + t[..., None] * ab), axis=-1))
    return best


def test_draws_exactly_the_parts():
    face = schematic_face()
    img = draw_landmarks(torch.from_numpy(face)[None], 64)
    assert img.shape == (1, 1, 64, 64) and img.dtype == torch.uint8
    canvas = img[0, 0].numpy()
    assert set(np.unique(canvas)) == {0, 255}
    xs, ys = face[:, 0].astype(int), face[:, 1].astype(int)
    assert (canvas[ys, xs] == 255).all()  # every landmark is lit
    dist = _distance_to_segments(64)
    assert (canvas[dist > 1.0] == 0).all()  # nothing away from the polylines
    assert (canvas[dist < 0.25] == 255).mean() > 0.9  # and the polylines are drawn
    # the jaw's end (16) is not joined to the brow's start (17): the midpoint stays dark
    mid = np.round((face[16] + face[17]) / 2).astype(int)
    assert dist[mid[1], mid[0]] > 1.0 and canvas[mid[1], mid[0]] == 0


def test_channels_thickness_and_nan():
    face = torch.from_numpy(schematic_face())
    faces = torch.stack([face, face.clone().fill_(float("nan")), face])
    faces[2, 40, 0] = float("nan")  # one missing point blanks the face
    img = draw_landmarks(faces, 64, channels=3, thickness=2)
    assert img.shape == (3, 3, 64, 64)
    assert torch.equal(img[0, 0], img[0, 2])
    assert img[1:].sum() == 0
    thin = draw_landmarks(face[None], 64)
    assert (img[0, 0] > 0).sum() > (thin[0, 0] > 0).sum()


def test_bad_shape_is_a_user_error():
    with pytest.raises(UserError, match=r"\(B, 68, 2\)"):
        draw_landmarks(torch.zeros(1, 5, 2), 32)
