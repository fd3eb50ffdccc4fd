"""DISFA loader on fixtures in the release layout: label files, extracted images or MJPG videos,
frame sampling, missing frames, bad codes, corrupt videos and the official folds."""

from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from PIL import Image

from ferbench.data.aus import apply_au_options
from ferbench.data.cache import cached_load
from ferbench.data.catalog import DATASETS
from ferbench.data.formats.disfa import AUS, DEFAULT_AUS, FOLDS, load
from ferbench.data.protocols import build_splits
from ferbench.errors import UserError

SUBJECTS = ("SN001", "SN002", "SN013", "SN018", "SN003", "SN099")  # SN099: in no fold
FRAMES = 4


def intensity(subject: str, au: int, frame: int) -> int:
    return (int(subject[2:]) + au + frame) % 6


def write_labels(root: Path, subjects=SUBJECTS, frames=FRAMES) -> None:
    for s in subjects:
        folder = root / "ActionUnit_Labels" / s
        folder.mkdir(parents=True, exist_ok=True)
        for au in AUS:
            lines = [f"{f},{intensity(s, au, f)}" for f in range(1, frames + 1)]
            (folder / f"{s}_au{au}.txt").write_text("\n".join(lines) + "\n")


def write_images(root: Path, subjects=SUBJECTS, frames=FRAMES, pad: int = 0,
                 first: int = 1) -> None:
    """Random 32x32 grey JPEGs numbered `first` ... (zero-padded to `pad` digits)."""
    for i, s in enumerate(subjects):
        folder = root / "Images_LeftCamera" / s
        folder.mkdir(parents=True, exist_ok=True)
        for f in range(first, first + frames):
            rng = np.random.default_rng(i * 100 + f)
            Image.fromarray(rng.integers(0, 256, (32, 32), dtype=np.uint8)).save(
                folder / f"{f:0{pad}d}.jpg")


def write_video(path: Path, frames: int) -> None:
    """An MJPG AVI of 32x32 colour frames; frame f (1-based) is uniformly grey 30 * f."""
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25, (32, 32))
    assert writer.isOpened()
    for f in range(1, frames + 1):
        writer.write(np.full((32, 32, 3), 30 * f, np.uint8))
    writer.release()


def video(root: Path, subject: str) -> Path:
    return root / "Videos_LeftCamera" / f"LeftVideo{subject}_comp.avi"


@pytest.fixture
def disfa_images(tmp_path):
    write_labels(tmp_path)
    write_images(tmp_path)
    return tmp_path


def test_image_layout_labels_and_pixels(disfa_images):
    fs = load(disfa_images, image_size=32)
    n = len(SUBJECTS) * FRAMES
    assert fs.images.shape == (n, 1, 32, 32) and fs.skipped == []
    assert fs.info.class_names == () and fs.labels.tolist() == [-1] * n
    assert fs.info.tasks == ("au",) and fs.info.au_codes == AUS
    assert fs.keys[:2].tolist() == ["SN001/1", "SN001/2"] and fs.subjects[4] == "SN002"
    expected = np.array([[intensity(s, au, f) for au in AUS]
                         for s in sorted(SUBJECTS) for f in range(1, FRAMES + 1)], np.float32)
    np.testing.assert_array_equal(fs.au_intensity.numpy(), expected)
    np.testing.assert_array_equal(fs.au_presence.numpy(), (expected >= 2).astype(np.uint8))
    first = np.array(Image.open(disfa_images / "Images_LeftCamera" / "SN001" / "1.jpg"))
    assert torch.equal(fs.images[0, 0], torch.from_numpy(first))
    assert fs.info.extra["frames_from"] == "images"
    assert fs.info.extra["default_aus"] == list(DEFAULT_AUS)
    folds = dict(zip(fs.subjects.tolist(), fs.official_fold.tolist(), strict=False))
    assert folds == {"SN001": 0, "SN002": 0, "SN013": 1, "SN018": 1, "SN003": 2, "SN099": -1}


def test_every_zero_padded_names_rgb_and_default_aus(tmp_path):
    write_labels(tmp_path, subjects=("SN001",), frames=5)
    write_images(tmp_path, subjects=("SN001",), frames=5, pad=5)
    fs = load(tmp_path, every="2", channels=3, image_size=16)
    assert fs.keys.tolist() == ["SN001/1", "SN001/3", "SN001/5"]
    assert fs.images.shape == (3, 3, 16, 16)
    picked = apply_au_options(fs, {})
    assert picked.info.au_codes == DEFAULT_AUS == (1, 2, 4, 6, 9, 12, 25, 26)
    assert apply_au_options(fs, {"au_threshold": 4, "aus": "26"}).au_presence[:, 0].tolist() \
        == [int(intensity("SN001", 26, f) >= 4) for f in (1, 3, 5)]
    with pytest.raises(UserError, match="every=0 is invalid"):
        load(tmp_path, every=0)


def test_missing_frames_are_skipped_or_strict(disfa_images):
    missing = disfa_images / "Images_LeftCamera" / "SN013" / "3.jpg"
    missing.unlink()
    (disfa_images / "Images_LeftCamera" / "SN018" / "2.jpg").write_bytes(b"not a jpeg")
    fs = load(disfa_images, image_size=32)
    assert len(fs) == len(SUBJECTS) * FRAMES - 2
    assert "SN013/3" not in fs.keys and "SN018/2" not in fs.keys
    reasons = dict(fs.skipped)
    assert reasons[str(missing.with_suffix(""))] == "missing frame (label frame 3 of SN013)"
    assert "unreadable image" in reasons[str(missing.parent.parent / "SN018" / "2.jpg")]
    with pytest.raises(UserError, match=r"SN013/3: missing frame"):
        load(disfa_images, strict=True)


def test_bad_label_lines_name_file_and_line(disfa_images):
    path = disfa_images / "ActionUnit_Labels" / "SN002" / "SN002_au4.txt"
    path.write_text("1,0\n2,7\n")
    with pytest.raises(UserError, match=r"SN002_au4.txt:2: unknown intensity 7; expected a "
                                        r"FACS intensity 0-5"):
        load(disfa_images)
    path.write_text("1,0\n2;1\n")
    with pytest.raises(UserError, match=r"SN002_au4.txt:2: 1 fields, expected 2"):
        load(disfa_images)
    path.write_text("1,0\n1,3\n")
    with pytest.raises(UserError, match=r"SN002_au4.txt:2: frame listed twice"):
        load(disfa_images)
    path.unlink()
    with pytest.raises(UserError, match=r"SN002_au4.txt: AU label file missing"):
        load(disfa_images)


def test_zero_based_images_need_first_frame_option(tmp_path):
    write_labels(tmp_path, subjects=("SN001",), frames=3)
    write_images(tmp_path, subjects=("SN001",), frames=3, first=0)
    with pytest.raises(UserError, match="numbered 0.*first_frame=0"):
        load(tmp_path)
    fs = load(tmp_path, first_frame=0, image_size=32)
    assert fs.keys.tolist() == ["SN001/1", "SN001/2", "SN001/3"] and fs.skipped == []


def test_video_layout_frames_in_order_and_past_the_end(tmp_path):
    write_labels(tmp_path, subjects=("SN001", "SN013"), frames=5)
    write_video(video(tmp_path, "SN001"), 5)
    write_video(video(tmp_path, "SN013"), 3)  # labels go 2 frames further
    fs = load(tmp_path, image_size=16)
    assert fs.info.extra["frames_from"] == "video"
    assert fs.keys.tolist() == [f"SN001/{f}" for f in range(1, 6)] + ["SN013/1", "SN013/2",
                                                                      "SN013/3"]
    brightness = fs.images.float().mean((1, 2, 3)).numpy()
    np.testing.assert_allclose(brightness, [30 * f for f in (1, 2, 3, 4, 5, 1, 2, 3)], atol=4)
    assert fs.skipped == [(str(video(tmp_path, "SN013")),
                           f"missing frame {f} (past the end of the video)") for f in (4, 5)]
    sampled = load(tmp_path, image_size=16, every=2, channels=3)
    assert sampled.keys.tolist() == ["SN001/1", "SN001/3", "SN001/5", "SN013/1", "SN013/3"]
    np.testing.assert_allclose(sampled.images.float().mean((1, 2, 3)).numpy(),
                               [30, 90, 150, 30, 90], atol=4)
    with pytest.raises(UserError, match=r"LeftVideoSN013_comp.avi: missing frame 4"):
        load(tmp_path, strict=True)


def test_corrupt_or_missing_video(tmp_path):
    write_labels(tmp_path, subjects=("SN001", "SN002"), frames=2)
    write_video(video(tmp_path, "SN001"), 2)
    broken = video(tmp_path, "SN002")
    broken.write_bytes(b"RIFF\x00\x00\x00\x00AVI garbage" * 10)
    with pytest.raises(UserError, match=r"LeftVideoSN002_comp.avi: unreadable video"):
        load(tmp_path)
    broken.unlink()
    fs = load(tmp_path)
    assert fs.keys.tolist() == ["SN001/1", "SN001/2"]
    assert [r for _, r in fs.skipped] == ["missing frame 1 (video file missing)",
                                          "missing frame 2 (video file missing)"]


def test_official_folds_are_subject_exclusive(disfa_images):
    fs = load(disfa_images, image_size=32)
    splits = build_splits(fs, "official")
    assert [s.fold for s in splits] == [0, 1, 2]
    for split in splits:
        parts = [set(fs.subjects[idx]) for idx in (split.train, split.val, split.test)]
        assert all(parts) and not (parts[0] & parts[1] or parts[0] & parts[2]
                                   or parts[1] & parts[2])
        assert parts[2] == set(FOLDS[split.fold]) & set(SUBJECTS)
        assert "SN099" not in parts[0] | parts[1] | parts[2]


def test_cache_round_trip_and_missing_root(disfa_images, tmp_path):
    spec = next(s for s in DATASETS if s.name == "disfa")
    assert spec.default_protocol == "official" and spec.tasks == ("au",)
    first = cached_load(spec, disfa_images, {"image_size": 32})
    again = cached_load(spec, disfa_images, {"image_size": 32})
    assert np.array_equal(again.official_fold, first.official_fold)
    assert again.official_fold.dtype == np.int64
    torch.testing.assert_close(again.au_intensity, first.au_intensity, equal_nan=True)
    assert again.info.extra["default_aus"] == list(DEFAULT_AUS)
    with pytest.raises(UserError, match="ActionUnit_Labels.*licence-gated"):
        load(tmp_path / "nowhere")
