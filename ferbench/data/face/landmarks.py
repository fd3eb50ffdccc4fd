"""dlib's 68-point shape predictor, with the model file that `face-recognition-models` ships."""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

import dlib
import numpy as np

from ...errors import UserError

PREDICTOR_FILE = "shape_predictor_68_face_landmarks.dat"
LEFT_EYE = slice(36, 42)  # the eye on the image's left (the subject's right eye)
RIGHT_EYE = slice(42, 48)
MOUTH = slice(48, 68)


def predictor_path() -> Path:
    """The 68-point model file, found without importing `face_recognition_models` (whose
    `__init__` needs pkg_resources); UserError saying how to install it when absent."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is not None and spec.submodule_search_locations:
        path = Path(spec.submodule_search_locations[0]) / "models" / PREDICTOR_FILE
        if path.is_file():
            return path
    raise UserError(f"dlib landmark model {PREDICTOR_FILE} not found; "
                    f"run: pip install face-recognition-models")


@cache
def _predictor():
    return dlib.shape_predictor(str(predictor_path()))


def predict_landmarks(gray: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """The 68 landmarks (x, y) as float32 (68, 2) for the face in `box` = (left, top, right,
    bottom) of a uint8 (H, W) image."""
    shape = _predictor()(gray, dlib.rectangle(*(int(v) for v in box)))
    return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float32)
