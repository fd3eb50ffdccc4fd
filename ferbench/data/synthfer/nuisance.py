"""Capture nuisance: head pose, framing, lighting, blur and sensor noise, and the projection
of face units onto the (supersampled) canvas."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Standard deviations of roll (degrees), yaw and pitch (radians), log-scale and shift
# (fraction of the image); ranges of lighting gradient, brightness/contrast spread, noise
# (grey levels) and blur (output pixels).
LEVELS = {
    "easy": {"roll": 2.5, "yaw": 0.05, "pitch": 0.03, "scale": 0.03, "shift": 0.015,
             "light": 0.1, "tone": 0.05, "noise": (0.0, 3.0), "blur": (0.0, 0.5)},
    "normal": {"roll": 10.0, "yaw": 0.12, "pitch": 0.06, "scale": 0.1, "shift": 0.09,
               "light": 0.25, "tone": 0.1, "noise": (1.0, 5.0), "blur": (0.0, 0.5)},
    "hard": {"roll": 14.0, "yaw": 0.2, "pitch": 0.1, "scale": 0.14, "shift": 0.12,
             "light": 0.4, "tone": 0.15, "noise": (2.0, 10.0), "blur": (0.3, 1.1)},
}
N_NORMALS = 7
N_UNIFORMS = 5
UNIT = 0.43  # face units -> fraction of the image side
CENTRE_Y = 0.45  # image row of the face origin, as a fraction of the side


@dataclass
class Nuisance:
    """Per-image capture conditions (each field (N,))."""

    roll: np.ndarray
    yaw: np.ndarray
    pitch: np.ndarray
    scale: np.ndarray
    shift_x: np.ndarray
    shift_y: np.ndarray
    light_angle: np.ndarray
    light: np.ndarray
    brightness: np.ndarray
    contrast: np.ndarray
    noise: np.ndarray
    blur: np.ndarray
    noise_seed: np.ndarray  # int64: seeds the noise field, so re-renders repeat it

    def take(self, index) -> Nuisance:
        return Nuisance(**{k: v[index] for k, v in vars(self).items()})


def sample(rngs: list[np.random.Generator], difficulty: str) -> Nuisance:
    """Nuisance of len(rngs) images, one generator each."""
    lv = LEVELS[difficulty]
    z = np.array([r.standard_normal(N_NORMALS) for r in rngs]).reshape(-1, N_NORMALS)
    u = np.array([r.random(N_UNIFORMS) for r in rngs]).reshape(-1, N_UNIFORMS)
    seeds = np.array([r.integers(2**62) for r in rngs], dtype=np.int64)
    clipped = np.clip(z, -2.5, 2.5)
    return Nuisance(
        roll=np.deg2rad(lv["roll"]) * clipped[:, 0], yaw=lv["yaw"] * clipped[:, 1],
        pitch=lv["pitch"] * clipped[:, 2], scale=np.exp(lv["scale"] * clipped[:, 3]),
        shift_x=lv["shift"] * clipped[:, 4], shift_y=lv["shift"] * clipped[:, 5],
        light_angle=2 * np.pi * u[:, 0], light=lv["light"] * u[:, 1],
        brightness=1 + lv["tone"] * clipped[:, 6], contrast=1 + lv["tone"] * (2 * u[:, 2] - 1),
        noise=lv["noise"][0] + (lv["noise"][1] - lv["noise"][0]) * u[:, 3],
        blur=lv["blur"][0] + (lv["blur"][1] - lv["blur"][0]) * u[:, 4], noise_seed=seeds)


def _turn(points: np.ndarray, depth: np.ndarray, nuis: Nuisance) -> np.ndarray:
    """Points after head yaw, pitch and roll (rotation about the face origin), face units."""
    yaw, pitch, roll = (v[:, None] for v in (nuis.yaw, nuis.pitch, nuis.roll))
    x = points[..., 0] * np.cos(yaw) + depth * np.sin(yaw)
    y = points[..., 1] * np.cos(pitch) + depth * np.sin(pitch)
    return np.stack([x * np.cos(roll) - y * np.sin(roll), x * np.sin(roll) + y * np.cos(roll)],
                    -1)


def framing(extent: np.ndarray, extent_depth: np.ndarray, nuis: Nuisance,
            side: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixels per face unit (N,) and origin (N, 2) on a `side`-pixel canvas, such that the
    points `extent` (the farthest any landmark can move) stay inside the canvas."""
    turned = _turn(extent, extent_depth, nuis)
    lo, hi = turned.min(1), turned.max(1)
    margin = 1.0
    room = side - 1 - 2 * margin
    scale = np.minimum(UNIT * side * nuis.scale, room / (hi - lo).max(1))
    origin = np.stack([side * (0.5 + nuis.shift_x), side * (CENTRE_Y + nuis.shift_y)], -1)
    origin = np.clip(origin, margin - scale[:, None] * lo,
                     side - 1 - margin - scale[:, None] * hi)
    return scale, origin


def project(points: np.ndarray, depth: np.ndarray, nuis: Nuisance, scale: np.ndarray,
            origin: np.ndarray) -> np.ndarray:
    """Canvas pixel coordinates (N, k, 2) of face points (N, k, 2) with depths (N, k)."""
    return origin[:, None] + scale[:, None, None] * _turn(points, depth, nuis)
