"""Per-subject face geometry and colours, drawn from the seed and the subject number.

Face units: the jaw spans about x = -1..1, the eyes sit near y = -0.25 and the chin near
y = 1.1 (y points down). Points follow the dlib/iBUG 68-point layout.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

IDENTITY_STREAM = 1

# iBUG 68 index of each point's mirror image (subject's right <-> left).
MIRROR = np.array(
    list(range(16, -1, -1)) + list(range(26, 16, -1)) + [27, 28, 29, 30]
    + [35, 34, 33, 32, 31] + [45, 44, 43, 42, 47, 46, 39, 38, 37, 36, 41, 40]
    + [54, 53, 52, 51, 50, 49, 48, 59, 58, 57, 56, 55] + [64, 63, 62, 61, 60, 67, 66, 65])
# the image-left half (subject's right); MIRROR maps it onto the other half
LEFT = np.array(list(range(8)) + list(range(17, 22)) + [31, 32] + list(range(36, 42))
                + [48, 49, 50, 58, 59, 60, 61, 67])

# (name, low, high): uniform ranges of the scalar identity parameters, in face units.
RANGES = (
    ("face_w", 0.90, 1.06), ("face_h", 1.08, 1.26), ("jaw_round", 1.7, 2.9),
    ("jaw_taper", 0.0, 0.22), ("forehead_h", 1.15, 1.40), ("eye_x", 0.35, 0.43),
    ("eye_y", -0.30, -0.19), ("eye_w", 0.165, 0.205), ("eye_open", 0.060, 0.090),
    ("eye_low", 0.045, 0.065), ("eye_tilt", -0.025, 0.025), ("iris_r", 0.066, 0.082),
    ("brow_gap", 0.10, 0.19), ("brow_arch", 0.02, 0.08), ("brow_thick", 0.035, 0.07),
    ("brow_len", 0.72, 0.86), ("brow_inner", 0.12, 0.21), ("nose_y", 0.24, 0.36),
    ("nose_w", 0.14, 0.20), ("mouth_gap", 0.22, 0.31), ("mouth_w", 0.29, 0.39),
    ("lip_up", 0.05, 0.085), ("lip_low", 0.065, 0.11), ("expressive", 0.9, 1.2),
    ("asym", 0.0, 0.012), ("hairline", -1.12, -0.72), ("hair_len", -0.25, 1.1),
    ("hair_part", -0.35, 0.35), ("skin", 0.0, 1.0), ("redness", -1.0, 1.0),
    ("lip_dark", 0.12, 0.3), ("folds", 0.0, 0.35), ("brow_density", 0.45, 1.0),
    ("bg", 0.0, 1.0), ("bg_tint", -1.0, 1.0), ("gaze_x", -0.02, 0.02))
CHOICES = ("hair_color", "iris_color", "bald")
N_UNIFORMS = len(RANGES) + len(CHOICES)

SKIN_TONES = np.array([[240, 208, 186], [214, 170, 136], [168, 118, 86], [98, 64, 46]], float)
HAIR_COLORS = np.array([[22, 18, 16], [48, 34, 26], [88, 62, 42], [132, 96, 62],
                        [196, 166, 116], [156, 152, 148], [128, 58, 32]], float)
HAIR_PROBS = np.array([0.3, 0.25, 0.15, 0.1, 0.08, 0.07, 0.05])
IRIS_COLORS = np.array([[58, 38, 26], [36, 26, 20], [78, 108, 138], [88, 108, 70],
                        [100, 78, 50]], float)
IRIS_PROBS = np.array([0.35, 0.3, 0.15, 0.1, 0.1])


@dataclass
class Identities:
    """Identity of each face of a batch: neutral landmarks, scalars and colours (RGB 0..255)."""

    neutral: np.ndarray  # (N, 68, 2) neutral landmarks, face units
    p: dict[str, np.ndarray]  # scalar parameters, each (N,)
    colors: dict[str, np.ndarray]  # each (N, 3)

    def take(self, index) -> Identities:
        return Identities(self.neutral[index], {k: v[index] for k, v in self.p.items()},
                          {k: v[index] for k, v in self.colors.items()})


def sample(seed: int, subject_ids) -> Identities:
    """The identities of subjects `subject_ids` (ints) for `seed`; each depends only on both."""
    ids = np.asarray(subject_ids, dtype=np.int64).reshape(-1)
    u = np.empty((len(ids), N_UNIFORMS))
    z = np.empty((len(ids), 68, 2))
    for row, sid in enumerate(ids.tolist()):
        rng = np.random.default_rng([seed, IDENTITY_STREAM, sid])
        u[row] = rng.random(N_UNIFORMS)
        z[row] = rng.standard_normal((68, 2))
    p = {name: lo + (hi - lo) * u[:, i] for i, (name, lo, hi) in enumerate(RANGES)}
    c = {name: u[:, len(RANGES) + i] for i, name in enumerate(CHOICES)}
    p["bald"] = (c["bald"] < 0.08).astype(float)
    p["hairline"] = np.where(p["bald"] > 0, -1.6, p["hairline"])
    neutral = neutral_landmarks(p) + z * p["asym"][:, None, None]
    return Identities(neutral, p, _colors(p, c))


def _pick(palette: np.ndarray, probs: np.ndarray, u: np.ndarray) -> np.ndarray:
    return palette[np.searchsorted(np.cumsum(probs), u * 0.999999)]


def _colors(p: dict, c: dict) -> dict[str, np.ndarray]:
    t = p["skin"] ** 1.3 * (len(SKIN_TONES) - 1)
    lo = np.minimum(t.astype(int), len(SKIN_TONES) - 2)
    frac = (t - lo)[:, None]
    skin = SKIN_TONES[lo] * (1 - frac) + SKIN_TONES[lo + 1] * frac
    skin = skin + p["redness"][:, None] * np.array([8.0, -2.0, -6.0])
    lips = skin * (1 - p["lip_dark"][:, None] * np.array([0.8, 1.3, 1.2]))
    grey = 70 + 165 * p["bg"]
    bg = grey[:, None] + p["bg_tint"][:, None] * np.array([10.0, 4.0, -12.0])
    return {"skin": skin, "lips": lips, "hair": _pick(HAIR_COLORS, HAIR_PROBS, c["hair_color"]),
            "iris": _pick(IRIS_COLORS, IRIS_PROBS, c["iris_color"]), "bg": bg}


def neutral_landmarks(p: dict[str, np.ndarray]) -> np.ndarray:
    """The symmetric neutral 68 landmarks (N, 68, 2) of identity parameters `p`."""
    n = len(p["face_w"])
    pts = np.zeros((n, 68, 2))
    col = {k: v[:, None] for k, v in p.items()}
    # jaw 0-16: a superellipse from ear level round the chin, narrowing towards the chin
    phi = np.linspace(-0.1, np.pi + 0.1, 17)[None, :]
    cos, sin = np.cos(phi), np.sin(phi)
    ex = 2.0 / col["jaw_round"]
    width = col["face_w"] * (1 - col["jaw_taper"] * np.clip(sin, 0, None) ** 2)
    pts[:, :17, 0] = -np.sign(cos) * np.abs(cos) ** ex * width
    pts[:, :17, 1] = -0.12 + np.sign(sin) * np.abs(sin) ** ex * col["face_h"]
    # brows 17-21 (outer to inner, image left)
    t = np.linspace(0, 1, 5)[None, :]
    top = col["eye_y"] - col["eye_open"] - col["brow_gap"]
    pts[:, 17:22, 0] = -col["brow_len"] + t * (col["brow_len"] - col["brow_inner"])
    pts[:, 17:22, 1] = top - col["brow_arch"] * np.sin(np.pi * (0.15 + 0.75 * t)) \
        + 0.04 * (1 - t) ** 2
    # nose 27-30 (bridge) and 31-33
    nose_y = col["nose_y"]
    pts[:, 27:31, 1] = col["eye_y"] - 0.02 + np.linspace(0, 1, 4)[None, :] * (
        nose_y - 0.06 - col["eye_y"] + 0.02)
    pts[:, 31] = np.stack([-p["nose_w"], p["nose_y"] - 0.03], -1)
    pts[:, 32] = np.stack([-0.5 * p["nose_w"], p["nose_y"] + 0.005], -1)
    pts[:, 33, 1] = p["nose_y"] + 0.015
    # eye 36-41 (image left): outer corner, upper lid, inner corner, lower lid
    cx, cy, ew = -col["eye_x"], col["eye_y"], col["eye_w"]
    eo, el, tilt = col["eye_open"], col["eye_low"], col["eye_tilt"]
    eye_x = np.concatenate([cx - ew, cx - 0.4 * ew, cx + 0.3 * ew, cx + ew,
                            cx + 0.35 * ew, cx - 0.35 * ew], 1)
    eye_y = np.concatenate([cy + tilt, cy - eo, cy - 0.95 * eo, cy + 0.005,
                            cy + el, cy + 1.05 * el], 1)
    pts[:, 36:42] = np.stack([eye_x, eye_y], -1)
    # mouth: outer 48-50, 58-59, 51 and 57 on the midline; inner 60, 61, 67, 62, 66
    my = col["nose_y"] + col["mouth_gap"]
    mw, lu, ll = col["mouth_w"], col["lip_up"], col["lip_low"]
    zero = np.zeros_like(mw)
    mouth = {48: (-mw, my), 49: (-0.55 * mw, my - 0.85 * lu), 50: (-0.2 * mw, my - lu),
             51: (zero, my - 0.8 * lu), 57: (zero, my + ll), 58: (-0.3 * mw, my + 0.92 * ll),
             59: (-0.65 * mw, my + 0.6 * ll), 60: (-0.9 * mw, my), 61: (-0.35 * mw, my - 0.004),
             62: (zero, my - 0.003), 66: (zero, my + 0.003), 67: (-0.35 * mw, my + 0.004)}
    for index, (x, y) in mouth.items():
        pts[:, index] = np.concatenate([x, y], 1)
    mirrored = pts[:, LEFT] * np.array([-1.0, 1.0])
    pts[:, MIRROR[LEFT]] = mirrored
    return pts
