"""SFEW 2.0 loader: Train/Val class folders, Val as test, alignment on and off."""

import pytest

from ferbench.data.formats.sfew import CLASSES, load
from ferbench.errors import UserError


def test_resize_only(tmp_path, write_sfew):
    write_sfew(tmp_path)
    fs = load(tmp_path, align="false", channels=3)
    assert fs.info.class_names == CLASSES == ("anger", "disgust", "fear", "happy", "neutral",
                                              "sadness", "surprise")
    assert fs.images.shape == (28, 3, 48, 48) and fs.landmarks is None
    assert fs.keys[0] == "Train/Angry/Angry_Train_000.png"
    assert fs.official_split.tolist() == ["train"] * 14 + ["test"] * 14
    assert fs.class_counts() == dict.fromkeys(CLASSES, 4)
    assert fs.labels[fs.keys.tolist().index("Val/Sad/Sad_Val_001.png")] == 5


def test_align_skips_frames_without_a_face(tmp_path, write_image):
    write_image(tmp_path / "Train" / "Happy" / "noise.png", (64, 64), seed=3)
    write_image(tmp_path / "Val" / "Sad" / "noise.png", (64, 64), seed=4)
    fs = load(tmp_path)  # align=true: the detector finds no face in noise
    assert len(fs) == 0 and fs.images.shape == (0, 1, 48, 48)
    assert [reason for _, reason in fs.skipped] == ["no face found by the hog detector"] * 2
    with pytest.raises(UserError, match="noise.png: no face found"):
        load(tmp_path, strict=True)


def test_unreadable_and_bad_input(tmp_path, write_sfew, write_corrupt):
    write_sfew(tmp_path, per_class=1)
    write_corrupt(tmp_path / "Val" / "Fear" / "broken.png")
    fs = load(tmp_path, align=False)
    assert len(fs) == 14 and fs.skipped[0][0].endswith("broken.png")
    with pytest.raises(UserError, match="broken.png: unreadable image"):
        load(tmp_path, align=False, strict="yes")
    with pytest.raises(UserError, match="align='sometimes'.*true or false"):
        load(tmp_path, align="sometimes")
    write_corrupt(tmp_path / "Train" / "Contempt" / "x.png")
    with pytest.raises(UserError, match="unknown class folder 'Contempt'"):
        load(tmp_path, align=False)


def test_missing_root(tmp_path):
    with pytest.raises(UserError, match="Train/<class>.*licence-gated"):
        load(tmp_path)
