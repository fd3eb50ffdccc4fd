"""FACS action units: how each moves the 68 landmarks, EMFACS prototypes, and sampling.

Intensities are FACS levels on a 0..5 scale (A..E = 1..5, 0 = absent). Each AU moves
landmarks by its pattern times intensity / 5; unilateral AUs (contempt's R12/L12, 14)
act on one side only.
"""

from __future__ import annotations

import numpy as np

from .identity import MIRROR

CLASS_NAMES = ("neutral", "anger", "contempt", "disgust", "fear", "happy", "sadness", "surprise")

AU_NAMES = {
    1: "inner brow raiser", 2: "outer brow raiser", 4: "brow lowerer", 5: "upper lid raiser",
    6: "cheek raiser", 7: "lid tightener", 9: "nose wrinkler", 10: "upper lip raiser",
    12: "lip corner puller", 14: "dimpler", 15: "lip corner depressor",
    16: "lower lip depressor", 17: "chin raiser", 20: "lip stretcher", 23: "lip tightener",
    24: "lip pressor", 25: "lips part", 26: "jaw drop", 27: "mouth stretch"}
AU_CODES = tuple(AU_NAMES)
COLUMN = {au: i for i, au in enumerate(AU_CODES)}
UNILATERAL = np.array([au in (12, 14) for au in AU_CODES])

# Displacements at intensity 5, in face units before GAIN: {AU: {index: (dx, dy)}} for
# points of the image-left half (mirrored onto the right half) and the midline (dx = 0).
# GAIN makes expressions read clearly at 48x48 (it was tuned with the calibration runs).
GAIN = 2.0
_MOVES = {
    1: {17: (0, -0.006), 18: (0, -0.025), 19: (0.0, -0.06), 20: (0.005, -0.105),
        21: (0.01, -0.135)},
    2: {17: (-0.01, -0.13), 18: (0, -0.12), 19: (0, -0.085), 20: (0, -0.045), 21: (0, -0.015),
        37: (0, -0.01), 38: (0, -0.008)},
    4: {17: (0, 0.04), 18: (0.01, 0.06), 19: (0.025, 0.08), 20: (0.04, 0.095),
        21: (0.055, 0.1), 37: (0, 0.015), 38: (0, 0.02)},
    5: {36: (0, -0.005), 37: (0, -0.065), 38: (0, -0.065), 39: (0, -0.005)},
    6: {36: (0, -0.012), 37: (0, 0.01), 38: (0, 0.01), 40: (0, -0.035), 41: (0, -0.04),
        48: (0, -0.012)},
    7: {36: (0, -0.006), 37: (0, 0.018), 38: (0, 0.018), 39: (0, -0.004), 40: (0, -0.045),
        41: (0, -0.045)},
    9: {19: (0, 0.02), 20: (0.01, 0.04), 21: (0.015, 0.05), 31: (-0.015, -0.03),
        32: (0, -0.02), 33: (0, -0.015), 40: (0, -0.015), 41: (0, -0.012), 49: (0, -0.035),
        50: (0, -0.035), 51: (0, -0.03), 61: (0, -0.03), 62: (0, -0.025)},
    10: {31: (0, -0.012), 48: (0, -0.012), 49: (0, -0.075), 50: (0, -0.07), 51: (0, -0.06),
         60: (0, -0.01), 61: (0, -0.07), 62: (0, -0.06)},
    12: {40: (0, -0.01), 41: (0, -0.012), 48: (-0.1, -0.11), 49: (-0.035, -0.045),
         59: (-0.045, -0.06), 58: (-0.01, -0.018), 57: (0, -0.01), 60: (-0.09, -0.105),
         61: (-0.02, -0.03), 67: (-0.02, -0.04), 66: (0, -0.012)},
    14: {48: (0.03, -0.02), 49: (0.01, -0.008), 59: (0.012, -0.008), 60: (0.025, -0.02)},
    15: {48: (0.015, 0.085), 49: (0.004, 0.025), 59: (0.006, 0.045), 58: (0, 0.015),
         60: (0.015, 0.085), 61: (0, 0.02), 67: (0, 0.035)},
    16: {48: (0, 0.01), 59: (0, 0.05), 58: (0, 0.065), 57: (0, 0.07), 67: (0, 0.05),
         66: (0, 0.07)},
    17: {6: (0, -0.015), 7: (0, -0.03), 8: (0, -0.035), 48: (0, 0.02), 50: (0, -0.01),
         51: (0, -0.015), 57: (0, -0.05), 58: (0, -0.045), 59: (0, -0.03), 60: (0, 0.015),
         66: (0, -0.05), 67: (0, -0.04), 62: (0, -0.012), 61: (0, -0.008)},
    20: {48: (-0.09, 0.025), 49: (-0.04, 0.015), 50: (0, 0.01), 58: (0, -0.01),
         59: (-0.045, -0.005), 60: (-0.085, 0.02), 61: (-0.03, 0.01), 67: (-0.03, 0.0)},
    23: {48: (0.05, 0), 49: (0.02, 0.012), 50: (0, 0.02), 51: (0, 0.02), 57: (0, -0.022),
         58: (0, -0.02), 59: (0.02, -0.01), 60: (0.045, 0), 61: (0.01, 0), 67: (0.01, 0)},
    24: {48: (0.02, 0), 49: (0, 0.025), 50: (0, 0.03), 51: (0, 0.03), 57: (0, -0.035),
         58: (0, -0.035), 59: (0, -0.02), 61: (0, 0.01), 62: (0, 0.01), 66: (0, -0.02),
         67: (0, -0.015)},
    25: {57: (0, 0.05), 58: (0, 0.048), 59: (0, 0.03), 61: (0, -0.01), 62: (0, -0.012),
         66: (0, 0.07), 67: (0, 0.055)},
    26: {3: (0, 0.015), 4: (0.005, 0.04), 5: (0.005, 0.07), 6: (0.005, 0.1), 7: (0, 0.12),
         8: (0, 0.13), 48: (0.01, 0.03), 57: (0, 0.12), 58: (0, 0.11), 59: (0, 0.08),
         60: (0.01, 0.035), 66: (0, 0.13), 67: (0, 0.11)},
    27: {2: (0, 0.01), 3: (0.005, 0.03), 4: (0.02, 0.08), 5: (0.02, 0.15), 6: (0.015, 0.22),
         7: (0, 0.28), 8: (0, 0.3), 48: (0.04, 0.08), 50: (0, -0.02), 51: (0, -0.02),
         57: (0, 0.28), 58: (0, 0.25), 59: (0, 0.17), 60: (0.04, 0.085), 61: (0, -0.03),
         62: (0, -0.03), 66: (0, 0.3), 67: (0, 0.26)},
}


def _patterns() -> tuple[np.ndarray, np.ndarray]:
    """Per-AU displacement of the image-left and image-right sides, each (A, 68, 2)."""
    left = np.zeros((len(AU_CODES), 68, 2))
    right = np.zeros_like(left)
    for a, au in enumerate(AU_CODES):
        for index, (dx, dy) in _MOVES[au].items():
            if MIRROR[index] == index:
                left[a, index] += (0, GAIN * dy / 2)
                right[a, index] += (0, GAIN * dy / 2)
            else:
                left[a, index] = (GAIN * dx, GAIN * dy)
                right[a, MIRROR[index]] = (-GAIN * dx, GAIN * dy)
    return left, right


LEFT_MOVES, RIGHT_MOVES = _patterns()

# EMFACS-style prototypes: class -> {AU: (probability, relative intensity)}.
PROTOTYPES = {
    "neutral": {},
    "anger": {4: (0.95, 1.0), 5: (0.45, 0.6), 7: (0.8, 0.9), 23: (0.7, 0.9), 24: (0.45, 0.8),
              17: (0.4, 0.7), 10: (0.12, 0.5), 9: (0.08, 0.5)},
    "contempt": {12: (0.95, 0.9), 14: (0.7, 0.9)},
    "disgust": {9: (0.85, 1.0), 10: (0.55, 0.9), 15: (0.5, 0.7), 16: (0.25, 0.6),
                17: (0.5, 0.7), 4: (0.4, 0.6), 25: (0.35, 0.6), 6: (0.15, 0.5)},
    "fear": {1: (0.9, 0.9), 2: (0.75, 0.8), 4: (0.8, 0.7), 5: (0.85, 1.0), 7: (0.4, 0.6),
             20: (0.8, 1.0), 25: (0.75, 0.8), 26: (0.5, 0.7)},
    "happy": {6: (0.8, 0.9), 12: (1.0, 1.0), 25: (0.5, 0.7), 26: (0.12, 0.5)},
    "sadness": {1: (0.9, 1.0), 4: (0.8, 0.7), 15: (0.85, 1.0), 17: (0.45, 0.7),
                6: (0.12, 0.4)},
    "surprise": {1: (0.95, 1.0), 2: (0.95, 1.0), 5: (0.8, 0.9), 25: (0.8, 0.9),
                 26: (0.7, 1.0), 27: (0.3, 1.0)},
}

PROB = np.array([[PROTOTYPES[c].get(au, (0.0, 0.0))[0] for au in AU_CODES] for c in CLASS_NAMES])
RELATIVE = np.array([[PROTOTYPES[c].get(au, (0.0, 0.0))[1] for au in AU_CODES]
                     for c in CLASS_NAMES])

# Expression strength lo + (hi - lo) * u ** gamma; prototype AUs kept with probability
# `keep` * their table probability; any other AU appears with probability `extra`.
LEVELS = {
    "easy": {"lo": 0.7, "hi": 1.0, "gamma": 1.0, "keep": 1.0, "extra": 0.005},
    "normal": {"lo": 0.55, "hi": 1.0, "gamma": 1.0, "keep": 0.95, "extra": 0.015},
    "hard": {"lo": 0.3, "hi": 1.0, "gamma": 1.3, "keep": 0.85, "extra": 0.04},
}
N_UNIFORMS = 2 * len(AU_CODES) + 2


def sample(u: np.ndarray, classes: np.ndarray, difficulty: str,
           strength_floor: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """AU intensities (N, A) float32 and unilateral side (N,) int8 (-1 image left, +1 right,
    0 both) of expressions of class indices `classes`, from uniforms `u` (N, N_UNIFORMS)."""
    level = LEVELS[difficulty]
    a = len(AU_CODES)
    lo = max(level["lo"], strength_floor)
    strength = lo + (level["hi"] - lo) * u[:, :1] ** level["gamma"]
    prob, rel = PROB[classes], RELATIVE[classes]
    core = prob > 0
    present = u[:, 1:1 + a] < np.where(core, prob * level["keep"], level["extra"])
    jitter = u[:, 1 + a:1 + 2 * a]
    value = np.where(core, 5 * strength * rel * (0.7 + 0.6 * jitter), 0.5 + jitter)
    # an expression shows at least its most likely AU
    empty = ~(present & core).any(1) & core.any(1)
    present[empty, np.argmax(prob[empty], 1)] = True
    present[:, COLUMN[26]] &= ~present[:, COLUMN[27]]
    intensity = np.where(present, np.clip(value, 0.5, 5.0), 0.0).astype(np.float32)
    contempt = classes == CLASS_NAMES.index("contempt")
    side = np.where(contempt, np.where(u[:, -1] < 0.5, -1, 1), 0).astype(np.int8)
    return intensity, side


def apply(neutral: np.ndarray, intensity: np.ndarray, side: np.ndarray,
          expressive: np.ndarray) -> np.ndarray:
    """Landmarks (N, 68, 2) of neutral faces `neutral` wearing the given AU intensities."""
    weight = intensity / 5.0 * expressive[:, None]
    one_sided = UNILATERAL[None, :]
    left = weight * ~(one_sided & (side[:, None] > 0))
    right = weight * ~(one_sided & (side[:, None] < 0))
    pts = neutral + np.einsum("na,apk->npk", left, LEFT_MOVES) \
        + np.einsum("na,apk->npk", right, RIGHT_MOVES)
    # keep lips in order: upper outer above upper inner above lower inner above lower outer
    for up, low in ((61, 67), (62, 66), (63, 65)):
        pts[:, low, 1] = np.maximum(pts[:, low, 1], pts[:, up, 1])
    for outer, inner, sign in ((50, 61, -1), (51, 62, -1), (52, 63, -1),
                               (58, 67, 1), (57, 66, 1), (56, 65, 1)):
        limit = pts[:, inner, 1] + sign * 0.025
        pts[:, outer, 1] = np.minimum(pts[:, outer, 1], limit) if sign < 0 \
            else np.maximum(pts[:, outer, 1], limit)
    return pts
