"""CK+ loader: the full release (Emotion, FACS, Landmarks, face pipeline) and CK+48."""

import numpy as np
import pytest
import torch
from PIL import Image

from ferbench.data.formats.ckplus import AU_CODES, CODES, EXPRESSIONS, load
from ferbench.errors import UserError


def test_full_release_expression_frames_aus_and_landmarks(tmp_path, write_ckplus_full):
    write_ckplus_full(tmp_path)
    fs = load(tmp_path, image_size=40)
    assert fs.info.class_names == EXPRESSIONS and fs.info.tasks == ("expression", "au")
    assert fs.images.shape == (9, 1, 40, 40)  # 3 labelled sequences x last 3 frames
    assert fs.keys[:3].tolist() == [f"cohn-kanade-images/S005/001/S005_001_{i:08d}.png"
                                    for i in (3, 4, 5)]
    assert [fs.info.class_names[i] for i in fs.labels.tolist()] == \
        ["surprise"] * 3 + ["anger"] * 3 + ["happy"] * 3
    assert fs.subjects.tolist() == ["S005"] * 3 + ["S010"] * 3 + ["S011"] * 3
    assert fs.info.num_subjects == 3
    assert fs.info.au_codes == AU_CODES and fs.pair_keys.tolist() == fs.subjects.tolist()
    row = dict(zip(fs.info.au_codes, fs.au_presence[3].tolist(), strict=True))
    assert {au for au, p in row.items() if p} == {4, 23}
    assert fs.au_intensity[3, fs.info.au_codes.index(4)] == 2.0
    assert fs.au_intensity[3, fs.info.au_codes.index(23)].isnan()  # coded without intensity
    assert fs.au_intensity[7, fs.info.au_codes.index(12)] == 4.0
    assert fs.landmarks.shape == (9, 68, 2)
    assert fs.landmarks.min() >= 0 and fs.landmarks.max() <= 40
    # S010's face is tilted by 12 degrees; the file landmarks drive the alignment
    left, right = fs.landmarks[4, 36:42].mean(0), fs.landmarks[4, 42:48].mean(0)
    assert abs(float(left[1] - right[1])) < 0.5 and float(right[0] - left[0]) > 5


def test_frames_and_neutral_options(tmp_path, write_ckplus_full):
    write_ckplus_full(tmp_path)
    fs = load(tmp_path, frames="2", neutral="true", channels=3)
    assert fs.info.class_names == CODES
    assert fs.images.shape == (9, 3, 48, 48)  # per sequence: first frame + last 2
    assert fs.keys[:3].tolist() == [f"cohn-kanade-images/S005/001/S005_001_{i:08d}.png"
                                    for i in (1, 4, 5)]
    assert fs.labels[:3].tolist() == [0, 7, 7]
    assert fs.au_presence[0].sum() == 0 and fs.au_presence[1].sum() == 3
    assert fs.subjects[0] == fs.pair_keys[0] == fs.pair_keys[1] == "S005"
    with pytest.raises(UserError, match="frames=0 .*>= 1"):
        load(tmp_path, frames=0)
    with pytest.raises(UserError, match="neutral='maybe'.*true or false"):
        load(tmp_path, neutral="maybe")


def test_missing_landmarks_fall_back_to_detection(tmp_path, write_ck_sequence):
    write_ck_sequence(tmp_path, "S020", "001", 3, emotion=3.0, aus=[(9, 2)])
    write_ck_sequence(tmp_path, "S021", "001", 3, emotion=4.0, aus=[(20, 1)], landmarks=False)
    (tmp_path / "cohn-kanade-images" / "S021" / "001" / "S021_001_00000002.png").write_bytes(
        b"broken")
    fs = load(tmp_path)
    assert fs.subjects.tolist() == ["S020"] * 3 and fs.labels.tolist() == [2, 2, 2]
    reasons = dict(fs.skipped)
    assert len(reasons) == 3 and all("S021_001" in path for path in reasons)
    assert "unreadable" in reasons[str(tmp_path / "cohn-kanade-images" / "S021" / "001" /
                                       "S021_001_00000002.png")]
    assert reasons[str(tmp_path / "cohn-kanade-images" / "S021" / "001" /
                       "S021_001_00000003.png")] == "no face found by the hog detector"
    with pytest.raises(UserError, match="S021_001_0000000"):
        load(tmp_path, strict=True)


def test_unknown_emotion_code_and_bad_landmarks(tmp_path, write_ck_sequence):
    write_ck_sequence(tmp_path, "S030", "002", 3, emotion=9.0)
    with pytest.raises(UserError, match=r"S030_002_00000003_emotion.txt:1: unknown label "
                                        r"code '9.0000000e\+00'"):
        load(tmp_path)
    write_ck_sequence(tmp_path, "S030", "002", 3, emotion=2.0)
    lm = tmp_path / "Landmarks" / "S030" / "002" / "S030_002_00000002_landmarks.txt"
    lm.write_text("\n".join(lm.read_text().splitlines()[:60]) + "\n")
    with pytest.raises(UserError, match="S030_002_00000002_landmarks.txt: 60 landmark lines"):
        load(tmp_path)
    lm.write_text("   1.0 2.0\n   oops\n")
    with pytest.raises(UserError, match=r"_landmarks.txt:2: expected 2 number"):
        load(tmp_path)


def test_neutral_coded_sequence_skipped_unless_neutral(tmp_path, write_ck_sequence):
    write_ck_sequence(tmp_path, "S040", "001", 4, emotion=0.0)
    write_ck_sequence(tmp_path, "S041", "001", 4, emotion=6.0)
    fs = load(tmp_path)
    assert fs.subjects.tolist() == ["S041"] * 3 and "neutral=true" in fs.skipped[0][1]
    assert load(tmp_path, neutral=True).labels.tolist() == [0] * 4 + [0, 6, 6, 6]


def test_ck48_layout(tmp_path, write_ck48, write_corrupt):
    write_ck48(tmp_path)
    write_corrupt(tmp_path / "fear" / "S099_001_00000001.png")
    fs = load(tmp_path, image_size=32)
    assert fs.info.class_names == ("anger", "contempt", "disgust", "fear", "happy",
                                   "sadness", "surprise")
    assert fs.images.shape == (42, 1, 32, 32) and fs.au_presence is None
    assert fs.keys[0] == "anger/S010_001_00000010.png" and fs.subjects[0] == "S010"
    assert fs.pair_keys.tolist() == fs.subjects.tolist()
    assert sorted(set(fs.subjects)) == ["S010", "S011", "S012", "S013"]
    assert fs.class_counts() == {"anger": 6, "contempt": 6, "disgust": 6, "fear": 6,
                                 "happy": 6, "sadness": 6, "surprise": 6}
    assert fs.skipped == [(str(tmp_path / "fear" / "S099_001_00000001.png"),
                           "unreadable image (UnidentifiedImageError)")]
    with pytest.raises(UserError, match="S099_001_00000001.png: unreadable image"):
        load(tmp_path, strict=True)
    with pytest.raises(UserError, match="options frames and neutral need the full release"):
        load(tmp_path, neutral=True)


def test_ck48_bad_names(tmp_path, write_image):
    write_image(tmp_path / "happy" / "face_1.png")
    with pytest.raises(UserError, match="face_1.png: file name must look like S010_004"):
        load(tmp_path)
    write_image(tmp_path / "joy" / "S010_001_00000001.png")
    with pytest.raises(UserError, match="unknown class folder 'joy'"):
        load(tmp_path)


def test_missing_root(tmp_path):
    with pytest.raises(UserError, match="cohn-kanade-images.*licence-gated.*does not "
                                        "download"):
        load(tmp_path / "CK+")
    with pytest.raises(UserError, match="licence-gated"):
        load(None)


def test_images_match_pixels_of_ck48_files(tmp_path, write_ck48):
    write_ck48(tmp_path, subjects=1)
    fs = load(tmp_path)
    first = np.array(Image.open(tmp_path / fs.keys[0]))
    assert torch.equal(fs.images[0, 0], torch.from_numpy(first))
