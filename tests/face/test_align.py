"""Alignment geometry on synthetic landmarks, and `align_faces` with detection, failures and
the disk cache (drawn faces; dlib's real detector and predictor)."""

import math

import numpy as np
import pytest
import torch

import ferbench.data.face.pipeline as pipeline
from ferbench.data.face import AlignedFaces, align_faces
from ferbench.data.face.align import align_face, alignment_matrix, apply, eye_centres
from ferbench.data.face.cartoon import draw_face
from ferbench.errors import UserError


def tilted_landmarks(angle_deg: float, centre=(120.0, 90.0), scale=1.0) -> np.ndarray:
    """68 points of a frontal face layout (eyes at y=0, mouth below), rotated and shifted."""
    rng = np.random.default_rng(0)
    pts = rng.uniform(-40, 40, size=(68, 2))
    pts[:, 1] = np.abs(pts[:, 1]) + 10  # jaw, nose and mouth below the eyes
    ring = np.stack([np.cos(np.arange(6) / 6 * 2 * np.pi), np.sin(np.arange(6) / 6 * 2 * np.pi)], 1)
    pts[36:42] = (-20, 0) + 5 * ring
    pts[42:48] = (20, 0) + 5 * ring
    pts[17:27, 1] = -15  # brows above the eyes
    a = math.radians(angle_deg)
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    return (pts * scale @ rot.T + centre).astype(np.float32)


@pytest.mark.parametrize("angle", [-30.0, -7.5, 0.0, 12.0, 40.0])
def test_alignment_levels_eyes_and_centres_the_landmark_box(angle):
    size, margin = 64, 0.25
    points = tilted_landmarks(angle)
    out = apply(alignment_matrix(points, size, margin), points)
    left, right = eye_centres(out)
    assert abs(left[1] - right[1]) < 1e-3 and left[0] < right[0]
    # expected: the untilted layout, its box centred, its longer side 1 / (1 + 2 margin)
    layout = tilted_landmarks(0.0, centre=(0.0, 0.0))
    low, high = layout.min(0), layout.max(0)
    scale = size / ((high - low).max() * (1 + 2 * margin))
    expected = (layout - (low + high) / 2) * scale + (size - 1) / 2
    np.testing.assert_allclose(out, expected, atol=1e-3)


def draw_dots(points: np.ndarray, shape: tuple[int, int], radius: int) -> np.ndarray:
    image = np.zeros((*shape, 1), np.uint8)
    yy, xx = np.mgrid[:shape[0], :shape[1]]
    for x, y in points:
        image[(xx - x) ** 2 + (yy - y) ** 2 <= radius ** 2] = 255
    return image


@pytest.mark.parametrize("scale,size", [(4.0, 48), (0.5, 96)])  # shrinking and enlarging
def test_warped_pixels_follow_the_warped_landmarks(scale, size):
    points = tilted_landmarks(25.0, centre=(100.0 * scale, 80.0 * scale), scale=scale)
    eyes = np.stack(eye_centres(points))
    image = draw_dots(eyes, (int(200 * scale), int(220 * scale)), radius=round(3 * scale))
    aligned, out = align_face(image, points, size, margin=0.25)
    assert aligned.shape == (size, size, 1) and aligned.dtype == np.uint8
    for eye in np.stack(eye_centres(out)):
        x, y = np.round(eye).astype(int)
        window = aligned[y - 3:y + 4, x - 3:x + 4, 0].astype(float)
        weights = window / window.sum()
        yy, xx = np.mgrid[:7, :7]
        centroid = np.array([(weights * xx).sum(), (weights * yy).sum()]) - 3
        assert window.max() > 100 and np.abs(centroid).max() < 0.75


def test_coinciding_eyes_are_rejected():
    points = tilted_landmarks(0.0)
    points[36:48] = (50.0, 50.0)
    with pytest.raises(ValueError, match="eye centres coincide"):
        alignment_matrix(points, 48, 0.25)


def count_detections(monkeypatch) -> list:
    calls = []
    real = pipeline.find_face

    def counted(gray, detector, upsample):
        calls.append(detector)
        return real(gray, detector, upsample)

    monkeypatch.setattr(pipeline, "find_face", counted)
    return calls


def test_detection_landmarks_and_alignment_of_drawn_faces(face_file):
    paths = [face_file("level.png"), face_file("tilted.png", tilt=18.0, size=200)]
    faces = align_faces(paths, size=64, channels=1)
    assert isinstance(faces, AlignedFaces)
    assert faces.images.shape == (2, 1, 64, 64) and faces.images.dtype == torch.uint8
    assert faces.landmarks.shape == (2, 68, 2) and faces.landmarks.dtype == torch.float32
    assert faces.kept.tolist() == [0, 1] and faces.failures == []
    for points in faces.landmarks.numpy():
        left, right = eye_centres(points)
        assert abs(left[1] - right[1]) < 0.01 and left[0] < right[0]
        assert left[1] < points[48:68, 1].mean()  # eyes above the mouth
        assert points.min() > -1 and points.max() < 64


def test_haar_detector_and_rgb_output(face_file):
    path = face_file("rgb.jpg", np.repeat(draw_face(128)[..., None], 3, axis=2))
    faces = align_faces([path], size=48, channels=3, detector="haar", upsample=0)
    assert faces.images.shape == (1, 3, 48, 48) and faces.failures == []


def test_failures_are_recorded_not_dropped(face_file, tmp_path):
    blank = face_file("blank.png", np.full((160, 160), 128, np.uint8))
    garbage = tmp_path / "images" / "garbage.png"
    garbage.write_bytes(b"not an image")
    missing = tmp_path / "images" / "missing.png"
    good = face_file("good.png")
    faces = align_faces([blank, garbage, good, missing], size=32, channels=1)
    assert faces.kept.tolist() == [2]
    reasons = dict(faces.failures)
    assert set(reasons) == {str(blank), str(garbage), str(missing)}
    assert "no face found by the hog detector" in reasons[str(blank)]
    assert "unreadable image" in reasons[str(garbage)]
    assert "unreadable file" in reasons[str(missing)]


def test_given_landmarks_skip_detection(face_file, monkeypatch):
    calls = count_detections(monkeypatch)
    path = face_file("given.png", np.zeros((220, 240), np.uint8))
    bad = face_file("bad.png", np.zeros((50, 50), np.uint8))
    faces = align_faces([path, bad], size=40, channels=1,
                        landmarks=[tilted_landmarks(15.0), np.zeros((5, 2))])
    assert calls == []
    assert faces.kept.tolist() == [0]
    assert "expected 68x2" in faces.failures[0][1]
    left, right = eye_centres(faces.landmarks[0].numpy())
    assert abs(left[1] - right[1]) < 1e-3


def test_second_call_is_served_from_the_cache(face_file, face_cache, monkeypatch):
    calls = count_detections(monkeypatch)
    paths = [face_file("a.png"), face_file("b.png", tilt=10.0),
             face_file("none.png", np.full((96, 96), 90, np.uint8))]
    first = align_faces(paths, size=48, channels=1)
    assert len(calls) == 3 and len(list(face_cache.rglob("*.npz"))) == 3
    second = align_faces(paths, size=48, channels=1)
    assert len(calls) == 3  # no detection at all, failures included
    assert torch.equal(first.images, second.images)
    assert torch.equal(first.landmarks, second.landmarks)
    assert second.failures == first.failures and second.kept.tolist() == [0, 1]
    align_faces(paths[:1], size=56, channels=1)  # other settings: a new entry
    assert len(calls) == 4
    align_faces(paths[:1], size=48, channels=1, cache=False)
    assert len(calls) == 5


@pytest.mark.parametrize("kwargs,match", [
    ({"detector": "mtcnn"}, "unknown face detector 'mtcnn'"),
    ({"channels": 2}, "expected 1 or 3"),
    ({"margin": -0.1}, "margin >= 0"),
])
def test_bad_settings_are_user_errors(kwargs, match, face_file):
    with pytest.raises(UserError, match=match):
        align_faces([face_file("x.png")], **{"size": 48, "channels": 1, **kwargs})


def test_missing_predictor_says_how_to_install(monkeypatch):
    import ferbench.data.face.landmarks as landmarks
    monkeypatch.setattr(landmarks.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(UserError, match="pip install face-recognition-models"):
        landmarks.predictor_path()
