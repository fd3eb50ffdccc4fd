"""Face detection: dlib's HOG frontal detector or OpenCV's Viola-Jones Haar cascade."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import cv2
import dlib
import numpy as np

from ...errors import UserError

DETECTORS = ("hog", "haar")
HAAR_CASCADE = "haarcascade_frontalface_default.xml"

Box = tuple[int, int, int, int]  # left, top, right, bottom in image pixels


@cache
def _hog_detector():
    return dlib.get_frontal_face_detector()


@cache
def _haar_detector() -> cv2.CascadeClassifier:
    path = Path(cv2.data.haarcascades) / HAAR_CASCADE
    cascade = cv2.CascadeClassifier(str(path))
    if cascade.empty():
        raise UserError(f"{path}: OpenCV Haar cascade missing; reinstall "
                        f"'opencv-python-headless<5' (OpenCV 5 dropped the cascades)")
    return cascade


def detect_faces(gray: np.ndarray, detector: str = "hog", upsample: int = 1) -> list[Box]:
    """Every face box in a uint8 (H, W) image. `upsample` doubles the image that many times
    before detecting (finds smaller faces, costs 4x time per level); boxes are returned in
    the original image's pixels."""
    if detector == "hog":
        rects = _hog_detector()(gray, upsample)
        return [(r.left(), r.top(), r.right(), r.bottom()) for r in rects]
    if detector == "haar":
        scale = 2 ** upsample
        big = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
        found = _haar_detector().detectMultiScale(big, scaleFactor=1.1, minNeighbors=5)
        return [(round(x / scale), round(y / scale), round((x + w) / scale),
                 round((y + h) / scale)) for x, y, w, h in found]
    raise UserError(f"unknown face detector {detector!r}; expected one of {', '.join(DETECTORS)}")


def find_face(gray: np.ndarray, detector: str = "hog", upsample: int = 1) -> Box | None:
    """The largest face box in a uint8 (H, W) image, or None when there is none."""
    boxes = detect_faces(gray, detector, upsample)
    if not boxes:
        return None
    return max(boxes, key=lambda b: (b[2] - b[0]) * (b[3] - b[1]))
