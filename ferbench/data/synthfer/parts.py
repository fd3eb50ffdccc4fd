"""The drawable parts of a face (polygons and strokes) in face units, built from landmarks."""

from __future__ import annotations

import numpy as np

from .actions import COLUMN
from .identity import Identities

EYES = ((36, 37, 38, 39, 40, 41), (42, 43, 44, 45, 46, 47))
TEETH_UP = (60, 61, 62, 63, 64)
TEETH_LOW = (60, 67, 66, 65, 64)


def ellipse(center: np.ndarray, rx, ry, k: int) -> np.ndarray:
    """k points (N, k, 2) on ellipses with centres (N, 2) and radii (N,) or floats."""
    t = np.linspace(0, 2 * np.pi, k, endpoint=False)
    rx, ry = np.broadcast_to(rx, center.shape[:1]), np.broadcast_to(ry, center.shape[:1])
    return np.stack([center[:, None, 0] + rx[:, None] * np.cos(t),
                     center[:, None, 1] + ry[:, None] * np.sin(t)], -1)


def subdivide(closed: np.ndarray) -> np.ndarray:
    """One step of the 4-point interpolating scheme on closed curves (N, k, 2) -> (N, 2k, 2)."""
    nxt, prev, nxt2 = (np.roll(closed, s, axis=1) for s in (-1, 1, -2))
    mid = (9 * (closed + nxt) - prev - nxt2) / 16
    return np.stack([closed, mid], 2).reshape(closed.shape[0], -1, 2)


def _interp(x: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Row-wise linear interpolation: x (N, k) on ascending knots xs, ys (N, m)."""
    i = np.clip((x[:, :, None] > xs[:, None, :]).sum(-1), 1, xs.shape[1] - 1)
    x0, x1 = np.take_along_axis(xs, i - 1, 1), np.take_along_axis(xs, i, 1)
    y0, y1 = np.take_along_axis(ys, i - 1, 1), np.take_along_axis(ys, i, 1)
    w = np.clip((x - x0) / np.maximum(x1 - x0, 1e-6), 0, 1)
    return y0 + w * (y1 - y0)


def _inside_eye(circle: np.ndarray, outline: np.ndarray) -> np.ndarray:
    """Clamp circle points into the eye opening bounded by `outline` (N, 12, 2)."""
    upper, lower = outline[:, 0:7], outline[:, [0, 11, 10, 9, 8, 7, 6]]
    x = np.clip(circle[..., 0], upper[:, :1, 0], upper[:, -1:, 0])
    top = _interp(x, upper[..., 0], upper[..., 1])
    bottom = np.maximum(_interp(x, lower[..., 0], lower[..., 1]), top)
    return np.stack([x, np.clip(circle[..., 1], top, bottom)], -1)


def _shift(points: np.ndarray, dx=0.0, dy=0.0) -> np.ndarray:
    return points + np.stack(np.broadcast_arrays(dx, dy), -1)


def _head(lm: np.ndarray, ident: Identities) -> dict[str, np.ndarray]:
    """Clothes, hair, neck, ears and the face area (a darker rim around a lighter inside)."""
    p = ident.p
    n = len(lm)
    top = -0.12 - p["forehead_h"]
    t = np.linspace(0, np.pi, 11)[None, 1:-1]
    wide = np.abs(lm[:, 16:17, 0] - lm[:, :1, 0]) / 2
    ear_y = 0.5 * (lm[:, 16:17, 1] + lm[:, :1, 1])
    forehead = np.stack([wide * np.cos(t), ear_y + (top[:, None] - ear_y) * np.sin(t)], -1)
    outline = np.concatenate([lm[:, :17], forehead], 1)
    centre = np.array([0.0, 0.25])
    inner = centre + (outline - centre) * np.array([0.92, 0.95])
    hair_w = p["face_w"][:, None] * 1.13
    a = np.linspace(-0.15, np.pi + 0.15, 13)[None, :]
    hair_back = np.stack([hair_w * np.cos(a), -0.12 + (top[:, None] - 0.17) * np.sin(a)], -1)
    hair_back[:, [0, -1], 1] = np.maximum(p["hair_len"], -0.12)[:, None]
    ear = np.stack([p["face_w"] + 0.03, np.full(n, -0.08)], -1)
    neck = np.broadcast_to(np.array([[-0.34, 0.5], [0.34, 0.5], [0.42, 2.6], [-0.42, 2.6]]),
                           (n, 4, 2))
    clothes = np.broadcast_to(np.array([[-2.2, 1.35], [-0.95, 1.12], [0.95, 1.12],
                                        [2.2, 1.35], [2.2, 3.0], [-2.2, 3.0]]), (n, 6, 2))
    hx = np.linspace(-1, 1, 9)[None, :]
    part = p["hair_part"][:, None]
    line = p["hairline"][:, None] + 0.16 * hx ** 2 + 0.08 * part * hx * (1 - np.abs(hx))
    hairline = np.stack([hx * wide, line + 0.35 * np.clip(np.abs(hx) - 0.7, 0, None)], -1)
    hair_front = np.concatenate([hairline, _shift(hairline[:, ::-1], 0.0, -1.5)], 1)
    return {"clothes": clothes, "hair_back": hair_back, "neck": neck,
            "ear_l": ellipse(ear * [-1, 1], 0.09, 0.19, 8), "ear_r": ellipse(ear, 0.09, 0.19, 8),
            "rim": outline, "face": inner, "hair_front": hair_front}


def _eyes(lm: np.ndarray, ident: Identities, aus: np.ndarray) -> dict[str, np.ndarray]:
    """Brows, eye sockets and cheeks, eyeballs, lids, and the wrinkles around the eyes."""
    p, out = ident.p, {}
    lift = 0.045 * aus[:, COLUMN[6]] / 5 + 0.02 * aus[:, COLUMN[12]] / 5
    thickness = np.array([0.55, 0.85, 1.0, 1.0, 0.95])
    for side, idx in zip("lr", EYES, strict=True):
        # the image-left eye outline starts at its outer corner, the right one at its inner
        outline = subdivide(lm[:, idx])
        brow, thick = (lm[:, 17:22], thickness) if side == "l" else (lm[:, 22:27],
                                                                     thickness[::-1])
        neutral = ident.neutral[:, idx]
        centre = neutral.mean(1) + np.stack([p["gaze_x"], np.full(len(lm), 0.004)], -1)
        lower = outline[:, [6, 7, 8, 9, 10, 11, 0]]
        out[f"socket_{side}"] = np.concatenate([brow, _shift(lower, 0.0, 0.045)], 1)
        sign = -1 if side == "l" else 1
        cheek = np.stack([np.full(len(lm), sign * 0.5), 0.2 - lift], -1)
        out[f"cheek_{side}"] = ellipse(cheek, 0.2, 0.13, 10)
        out[f"sclera_{side}"] = outline
        out[f"iris_{side}"] = _inside_eye(ellipse(centre, p["iris_r"], p["iris_r"], 12), outline)
        out[f"pupil_{side}"] = _inside_eye(ellipse(centre, 0.4 * p["iris_r"],
                                                   0.4 * p["iris_r"], 8), outline)
        out[f"lid_{side}"] = outline[:, 0:7]
        out[f"lower_lid_{side}"] = lower
        upper_lid = outline[:, [0, 2, 3, 4, 6]]
        out[f"crease_{side}"] = upper_lid + (brow - upper_lid) * 0.3 * np.array([0.2, 1.0])
        out[f"bag_{side}"] = _shift(lower[:, 1:6], 0.0, 0.075)
        corner = lm[:, idx[0] if side == "l" else idx[3]]
        out[f"crow_{side}"] = np.stack([corner + [sign * 0.05, -0.01], corner + [sign * 0.13,
                                        -0.05], corner + [sign * 0.05, 0.02],
                                        corner + [sign * 0.12, 0.06]], 1)
        upper = _shift(brow, 0.0, -p["brow_thick"][:, None] * thick)
        out[f"brow_{side}"] = np.concatenate([brow, upper[:, ::-1]], 1)
    return out


def _nose_mouth(lm: np.ndarray, aus: np.ndarray) -> dict[str, np.ndarray]:
    """Nose, folds, mouth (cavity, teeth, lips), chin, and the brow/nose/forehead wrinkles."""
    out = {}
    ala_l, ala_r = lm[:, 31] + [0.01, -0.06], lm[:, 35] + [-0.01, -0.06]
    out["nose"] = np.concatenate([ala_l[:, None], lm[:, 31:36], ala_r[:, None]], 1)
    out["bridge"] = _shift(lm[:, 28:31], -0.075, 0.0)
    sides = ((31, 32, 48, -1), (35, 34, 54, 1))
    for side, (ala, nos, corner, sign) in zip("lr", sides, strict=True):
        out[f"nostril_{side}"] = ellipse(0.5 * (lm[:, ala] + lm[:, nos]) + [0, -0.012],
                                         0.028, 0.014, 6)
        start = lm[:, ala] + [sign * 0.04, -0.02]
        end = lm[:, corner] + [sign * 0.07, 0.07]
        bend = 0.5 * (start + end) + [sign * 0.05, 0.0]
        out[f"fold_{side}"] = np.stack([start, 0.5 * (start + bend), bend, end], 1)
        out[f"dimple_{side}"] = np.stack([lm[:, corner] + [sign * 0.035, -0.035],
                                          lm[:, corner] + [sign * 0.045, 0.03]], 1)
    inner_up, inner_low = lm[:, list(TEETH_UP)], lm[:, list(TEETH_LOW)]
    gap = inner_low[..., 1] - inner_up[..., 1]
    narrow = np.array([0.85, 1.0, 1.0, 1.0, 0.85])[None, :, None]
    mid_x = lm[:, 62:63, :1]
    up = np.concatenate([mid_x + (inner_up[..., :1] - mid_x) * narrow, inner_up[..., 1:]], -1)
    low = np.concatenate([mid_x + (inner_low[..., :1] - mid_x) * narrow, inner_low[..., 1:]], -1)
    out["cavity"] = lm[:, 60:68]
    out["teeth_up"] = np.concatenate([up, _shift(up, 0.0, np.minimum(0.06, 0.75 * gap))[:, ::-1]],
                                     1)
    out["teeth_low"] = np.concatenate([low, _shift(low, 0.0, -np.minimum(0.04, 0.3 * gap))[
        :, ::-1]], 1)
    out["lip_up"] = np.concatenate([lm[:, 48:55], lm[:, [64, 63, 62, 61, 60]]], 1)
    out["lip_low"] = np.concatenate([lm[:, [54, 55, 56, 57, 58, 59, 48]],
                                     lm[:, [60, 67, 66, 65, 64]]], 1)
    out["lip_line"] = lm[:, [48, 61, 62, 63, 54]]
    chin = lm[:, 57] + [0, 0.07]
    out["chin"] = np.stack([chin + [-0.12, -0.02], chin, chin + [0.12, -0.02]], 1)
    brow_mid = 0.5 * (lm[:, 21] + lm[:, 22])
    out["glabella"] = np.stack([brow_mid + [-0.05, -0.04], brow_mid + [-0.04, 0.06],
                                brow_mid + [0.05, -0.04], brow_mid + [0.04, 0.06]], 1)
    root = 0.5 * (lm[:, 27] + lm[:, 28])
    out["nose_wrinkle"] = np.stack([root + [-0.06, 0.0], root + [0.06, 0.0],
                                    root + [-0.05, 0.05], root + [0.05, 0.05]], 1)
    span = 0.3 + 0.35 * aus[:, COLUMN[2]] / np.maximum(aus[:, COLUMN[1]] + aus[:, COLUMN[2]], 1)
    brow_y = np.minimum(lm[:, 19, 1], lm[:, 24, 1])
    xs = np.linspace(-1, 1, 5)[None, :] * span[:, None]
    for row in range(2):
        ys = brow_y[:, None] - 0.13 - 0.075 * row + 0.06 * xs ** 2
        out[f"forehead_{row}"] = np.stack([xs, ys], -1)
    return out


def build(lm: np.ndarray, ident: Identities, aus: np.ndarray) -> dict[str, np.ndarray]:
    """Every drawable part (N, k, 2) of faces with landmarks `lm` and AU intensities `aus`."""
    return {**_head(lm, ident), **_eyes(lm, ident, aus), **_nose_mouth(lm, aus)}


def depth(points: np.ndarray) -> np.ndarray:
    """Approximate depth towards the camera of face points (N, k, 2), for small head turns."""
    x, y = points[..., 0], points[..., 1]
    dome = 0.55 * np.sqrt(np.clip(1 - (x / 1.1) ** 2 - ((y - 0.2) / 1.7) ** 2, 0, None))
    nose = 0.25 * np.exp(-((x / 0.12) ** 2 + ((y - 0.15) / 0.3) ** 2))
    return dome + nose
