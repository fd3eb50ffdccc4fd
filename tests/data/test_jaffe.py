"""JAFFE loader on a generated flat folder of KA.AN1.39.tiff files (drawn faces, the real
dlib detector and predictor)."""

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from ferbench.data.face.cartoon import draw_face
from ferbench.data.formats import jaffe
from ferbench.errors import UserError

CODES = ("AN", "DI", "FE", "HA", "NE", "SA", "SU")


def write_tiff(path: Path, pixels: np.ndarray | None = None, tilt: float = 0.0) -> Path:
    Image.fromarray(draw_face(256, tilt=tilt) if pixels is None else pixels).save(path)
    return path


@pytest.fixture
def jaffe_root(tmp_path) -> Path:
    """Two subjects x 7 expressions, 256x256 grayscale TIFF, plus a README that is no image."""
    root = tmp_path / "jaffe"
    root.mkdir()
    number = 39
    for s, subject in enumerate(("KA", "KL")):
        for c, code in enumerate(CODES):
            number += 1
            write_tiff(root / f"{subject}.{code}{1 + c % 3}.{number}.tiff", tilt=4.0 * s - 3)
    (root / "README").write_text("The Japanese Female Facial Expression Database")
    return root


def test_loads_aligned_faces_with_canonical_labels(jaffe_root):
    data = jaffe.load(jaffe_root, image_size=48)
    assert len(data) == 14 and data.skipped == []
    assert data.info.class_names == ("neutral", "anger", "disgust", "fear", "happy", "sadness",
                                     "surprise")
    assert data.images.shape == (14, 1, 48, 48) and data.images.dtype == torch.uint8
    assert data.landmarks.shape == (14, 68, 2)
    assert data.info.num_subjects == 2 and set(data.subjects) == {"KA", "KL"}
    assert list(data.class_counts().values()) == [2] * 7
    by_key = dict(zip(data.keys, data.labels.tolist(), strict=True))
    assert data.info.class_names[by_key["KA.AN1.40.tiff"]] == "anger"
    assert data.info.class_names[by_key["KL.SU1.53.tiff"]] == "surprise"
    assert data.info.class_names[by_key["KA.FE3.42.tiff"]] == "fear"
    assert data.info.extra["detector"] == "hog"


def test_string_options_are_coerced(jaffe_root):
    data = jaffe.load(str(jaffe_root), image_size="32", channels="3", strict="false",
                      margin="0.1", upsample="0", cache="no")
    assert data.images.shape == (14, 3, 32, 32)
    assert data.info.extra["margin"] == 0.1 and data.info.extra["upsample"] == 0


@pytest.mark.parametrize("options,match", [
    ({"angle": "S"}, "unknown option 'angle'"),
    ({"image_size": "big"}, "image_size='big'"),
    ({"channels": 2}, "channels=2"),
    ({"detector": "cnn"}, "detector='cnn'.*'hog' or 'haar'"),
    ({"margin": "wide"}, "margin='wide'.*number >= 0"),
    ({"upsample": "-1"}, "upsample='-1'"),
])
def test_bad_options_name_the_option(jaffe_root, options, match):
    with pytest.raises(UserError, match=match):
        jaffe.load(jaffe_root, **options)


def test_missing_root_explains_layout_and_licence(tmp_path):
    for root in (tmp_path / "nowhere", None):
        with pytest.raises(UserError) as err:
            jaffe.load(root)
        message = str(err.value)
        assert "\n" not in message and "KA.AN1.39.tiff" in message
        assert "licence-gated" in message and "does not download" in message


def test_empty_folder_is_a_layout_error(tmp_path):
    with pytest.raises(UserError, match="KA.AN1.39.tiff"):
        jaffe.load(tmp_path)


def test_unknown_code_unreadable_file_and_no_face_are_skipped(jaffe_root):
    odd = write_tiff(jaffe_root / "KA.XX1.60.tiff")
    unparsable = write_tiff(jaffe_root / "portrait.tiff")
    broken = jaffe_root / "KM.HA1.61.tiff"
    broken.write_bytes(b"not a tiff")
    blank = write_tiff(jaffe_root / "KM.SA1.62.tiff", np.full((256, 256), 128, np.uint8))
    data = jaffe.load(jaffe_root)
    assert len(data) == 14
    reasons = dict(data.skipped)
    assert len(reasons) == 4
    assert "unknown emotion code 'XX'" in reasons[str(odd)]
    assert "does not follow KA.AN1.39.tiff" in reasons[str(unparsable)]
    assert "unreadable image" in reasons[str(broken)]
    assert "no face found" in reasons[str(blank)]


@pytest.mark.parametrize("name,match", [
    ("KA.XX1.60.tiff", "KA.XX1.60.tiff: unknown emotion code 'XX'"),
    ("KM.HA1.61.tiff", "KM.HA1.61.tiff: unreadable image"),
    ("KM.SA1.62.tiff", "KM.SA1.62.tiff: no face found by the hog detector"),
])
def test_strict_raises_naming_the_file(jaffe_root, name, match):
    path = jaffe_root / name
    if "HA" in name:
        path.write_bytes(b"not a tiff")
    else:
        write_tiff(path, np.full((256, 256), 128, np.uint8) if "SA" in name else None)
    with pytest.raises(UserError, match=match):
        jaffe.load(jaffe_root, strict=True)
    assert len(jaffe.load(jaffe_root).skipped) == 1  # without strict: recorded, not raised
