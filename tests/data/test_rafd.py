"""RaFD loader on generated Rafd090_01_Caucasian_female_angry_frontal.jpg files (drawn
faces, the real dlib detector and predictor)."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ferbench.data.face.cartoon import draw_face
from ferbench.data.formats import rafd
from ferbench.data.triples import build_triples, triple_counts
from ferbench.errors import UserError

EMOTIONS = ("angry", "contemptuous", "disgusted", "fearful", "happy", "neutral", "sad",
            "surprised")


def write_photo(path: Path, pixels: np.ndarray | None = None) -> Path:
    """A portrait-format RGB JPEG (RaFD photos are 681x1024) with a face in the upper part."""
    face = draw_face(160) if pixels is None else pixels
    canvas = np.pad(face, ((20, 100), (0, 0)), mode="edge")
    Image.fromarray(np.repeat(canvas[..., None], 3, axis=2)).save(path, quality=95)
    return path


def name(angle: str, person: str, emotion: str, gaze: str, ext: str = "jpg") -> str:
    return f"Rafd{angle}_{person}_Caucasian_female_{emotion}_{gaze}.{ext}"


@pytest.fixture
def rafd_root(tmp_path) -> Path:
    """Persons 01 and 02: all 8 expressions frontal at 090 (person 02 also looking left,
    upper-case extension), plus two 045 images of person 01."""
    root = tmp_path / "RafD"
    root.mkdir()
    for emotion in EMOTIONS:
        write_photo(root / name("090", "01", emotion, "frontal"))
        write_photo(root / name("090", "02", emotion, "frontal", "JPG"))
        write_photo(root / name("090", "02", emotion, "left"))
    write_photo(root / name("045", "01", "happy", "frontal"))
    write_photo(root / name("045", "01", "sad", "right"))
    return root


def test_default_is_the_frontal_camera_with_every_gaze(rafd_root):
    data = rafd.load(rafd_root, image_size=40)
    assert len(data) == 24 and data.skipped == []
    assert data.info.class_names == ("neutral", "anger", "contempt", "disgust", "fear", "happy",
                                     "sadness", "surprise")
    assert list(data.class_counts().values()) == [3] * 8
    assert data.images.shape == (24, 1, 40, 40) and data.landmarks.shape == (24, 68, 2)
    assert set(data.subjects) == {"01", "02"} and data.info.num_subjects == 2
    assert set(data.pair_keys) == {"01_090_frontal", "02_090_frontal", "02_090_left"}
    label = dict(zip(data.keys, data.labels.tolist(), strict=True))
    assert data.info.class_names[label[name("090", "01", "contemptuous", "frontal")]] == \
        "contempt"
    assert data.info.class_names[label[name("090", "02", "sad", "frontal", "JPG")]] == "sadness"


def test_pairs_match_identity_angle_and_gaze(rafd_root):
    data = rafd.load(rafd_root, gaze="frontal")
    assert len(data) == 16
    for key in set(data.pair_keys):
        members = data.subset(data.pair_keys == key)
        assert len(set(members.subjects)) == 1 and len(set(members.labels.tolist())) == 8


def test_transfer_triples_keep_person_angle_and_gaze(rafd_root):
    data = rafd.load(rafd_root, angle="all")
    triples = build_triples(data, np.arange(len(data)), per_target=100)

    def photo(i):  # (angle, person, emotion, gaze) from the file name
        angle, person, _, _, emotion, gaze = rafd.FILE_NAME.fullmatch(
            Path(data.keys[i]).stem).groups()
        return angle, person, emotion, gaze.lower()

    for s, t, u in zip(triples.source, triples.target, triples.truth, strict=True):
        (_, donor, expression, _), (angle, person, _, gaze) = photo(s), photo(t)
        assert donor != person and photo(u) == (angle, person, expression, gaze)
    # the two 045 photos are alone in their view: donors, never targets; person 01 (8 frontal
    # targets) takes 14 donors, person 02 (16 targets) 9 minus its own expression's
    assert {photo(t)[0] for t in triples.target} == {"090"}
    assert {photo(s)[0] for s in triples.source} == {"090", "045"}
    assert triple_counts(data, triples) == {"triples": 8 * 14 + 16 * 9 - 4, "targets": 24,
                                            "identities": 2}


@pytest.mark.parametrize("options,count", [
    ({"angle": "all"}, 26), ({"angle": "045"}, 2), ({"angle": 45}, 2),
    ({"angle": "all", "gaze": "right"}, 1), ({"gaze": "left"}, 8),
])
def test_angle_and_gaze_options(rafd_root, options, count):
    assert len(rafd.load(rafd_root, **options)) == count


def test_rgb_output(rafd_root):
    assert rafd.load(rafd_root, channels=3, angle="045").images.shape == (2, 3, 48, 48)


@pytest.mark.parametrize("options,match", [
    ({"angle": "100"}, r"angle='100' is invalid; expected '000' or '045'"),
    ({"angle": 12}, r"angle=12 is invalid"),
    ({"gaze": "up"}, r"gaze='up' is invalid"),
    ({"session": "A"}, "unknown option 'session'"),
])
def test_bad_options(rafd_root, options, match):
    with pytest.raises(UserError, match=match):
        rafd.load(rafd_root, **options)


def test_a_filter_that_selects_nothing_says_so(rafd_root):
    with pytest.raises(UserError, match="none of the 26 images .* angle=180"):
        rafd.load(rafd_root, angle="180")


def test_missing_root(tmp_path):
    with pytest.raises(UserError, match="Rafd090_01_Caucasian_female_angry_frontal.jpg.*"
                                        "licence-gated.*does not download"):
        rafd.load(tmp_path / "missing")


def test_bad_names_and_faceless_images(rafd_root):
    bored = write_photo(rafd_root / name("090", "03", "bored", "frontal"))
    upward = write_photo(rafd_root / name("090", "03", "happy", "up"))
    other = write_photo(rafd_root / "IMG_0001.jpg")
    blank = write_photo(rafd_root / name("090", "03", "happy", "frontal"),
                        np.full((160, 160), 100, np.uint8))
    data = rafd.load(rafd_root)
    assert len(data) == 24
    reasons = dict(data.skipped)
    assert "unknown emotion 'bored'" in reasons[str(bored)]
    assert "unknown gaze 'up'" in reasons[str(upward)]
    assert "does not follow Rafd090_01" in reasons[str(other)]
    assert "no face found" in reasons[str(blank)]
    with pytest.raises(UserError, match="IMG_0001.jpg: file name does not follow"):
        rafd.load(rafd_root, strict=True)
