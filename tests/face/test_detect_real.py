"""dlib's detector and 68-point predictor on real CK+48 faces (skipped only when the
research-licensed crops are absent). Nothing derived from them is written outside tmp_path."""

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ferbench.data.face import align_faces
from ferbench.data.face.align import eye_centres
from ferbench.data.face.detect import find_face
from ferbench.data.face.landmarks import MOUTH, predict_landmarks

CKPLUS48 = Path(os.environ.get("FERBENCH_CKPLUS48") or
                Path(__file__).resolve().parents[2] / ".." / "shared" / "datasets" / "CK+48")

pytestmark = [
    pytest.mark.realdata,
    pytest.mark.skipif(not CKPLUS48.is_dir(), reason=f"CK+48 crops not at {CKPLUS48}"),
]


def some_crops(per_class: int = 1) -> list[Path]:
    return [p for folder in sorted(CKPLUS48.iterdir()) if folder.is_dir()
            for p in sorted(folder.glob("*.png"))[:per_class]]


def assert_plausible(points: np.ndarray, width: int, height: int) -> None:
    """Brows, eyes, nose and mouth inside the image (CK+48 crops cut the jaw, so the jaw
    points may lie a little outside), in anatomical order."""
    assert points.shape == (68, 2)
    inner, jaw = points[17:], points[:17]
    assert (inner > -1).all() and (inner[:, 0] < width).all() and (inner[:, 1] < height).all()
    assert (np.abs(jaw - (width / 2, height / 2)) < 0.65 * np.array([width, height])).all()
    left, right = eye_centres(points)
    nose_tip, mouth = points[30], points[MOUTH].mean(0)
    assert left[0] < nose_tip[0] < right[0]
    assert max(left[1], right[1]) < nose_tip[1] < mouth[1]  # eyes above nose above mouth


def test_hog_and_predictor_on_an_upsampled_crop():
    path = some_crops()[0]
    gray = np.asarray(Image.open(path).convert("L").resize((192, 192), Image.BICUBIC))
    box = find_face(gray, "hog", 0)
    assert box is not None
    left, top, right, bottom = box
    assert right - left > 96  # the crop is nearly all face
    assert_plausible(predict_landmarks(gray, box), 192, 192)


@pytest.mark.parametrize("detector,least", [("hog", 7), ("haar", 5)])
def test_pipeline_aligns_real_faces_of_every_class(detector, least):
    """HOG found all 981 CK+48 crops at upsample 1, Haar 966 (see docs/face-pipeline.md)."""
    paths = some_crops()
    faces = align_faces(paths, size=96, channels=1, detector=detector, upsample=1,
                        cache=False)  # nothing derived from CK+ is written
    assert len(faces.kept) >= least
    failed = {path for path, reason in faces.failures if detector in reason}
    assert failed | {str(paths[i]) for i in faces.kept} == {str(p) for p in paths}
    assert faces.images.shape == (len(faces.kept), 1, 96, 96)
    for points in faces.landmarks.numpy():
        assert_plausible(points, 96, 96)
        left, right = eye_centres(points)
        assert abs(left[1] - right[1]) < 0.01
