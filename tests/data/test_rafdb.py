"""RAF-DB loader: partition file, aligned/original images, official split, bad input."""

import pytest

from ferbench.data.formats.rafdb import CLASSES, load
from ferbench.errors import UserError

LABELS = {"train_00001.jpg": 1, "train_00002.jpg": 4, "train_00003.jpg": 7,
          "test_0001.jpg": 6, "test_0002.jpg": 2}


def test_aligned_images_labels_and_split(tmp_path, write_rafdb):
    write_rafdb(tmp_path, LABELS)
    fs = load(tmp_path, channels=3, image_size=64)
    assert fs.info.class_names == CLASSES == ("surprise", "fear", "disgust", "happy",
                                              "sadness", "anger", "neutral")
    assert fs.images.shape == (5, 3, 64, 64)
    assert fs.keys.tolist() == list(LABELS)
    assert [CLASSES[i] for i in fs.labels.tolist()] == ["surprise", "happy", "neutral",
                                                         "anger", "fear"]
    assert fs.official_split.tolist() == ["train"] * 3 + ["test"] * 2
    assert (fs.subjects == fs.keys).all() and fs.info.extra["images"] == "aligned"


def test_original_images_option(tmp_path, write_rafdb):
    write_rafdb(tmp_path, LABELS)
    (tmp_path / "Image" / "aligned" / "train_00002_aligned.jpg").unlink()
    aligned = load(tmp_path)
    original = load(tmp_path, images="original")
    assert len(aligned) == 4 and len(original) == 5
    assert aligned.skipped[0][0].endswith("train_00002_aligned.jpg")
    assert "unreadable image" in aligned.skipped[0][1]
    with pytest.raises(UserError, match="train_00002_aligned.jpg: unreadable image"):
        load(tmp_path, strict=True)
    with pytest.raises(UserError, match="images='raw'.*'aligned' or 'original'"):
        load(tmp_path, images="raw")


def test_unknown_label_code_and_bad_lines(tmp_path, write_rafdb):
    write_rafdb(tmp_path, {**LABELS, "test_0003.jpg": 8})
    with pytest.raises(UserError, match=r"list_patition_label.txt:6: unknown label code '8'; "
                                        r"expected one of 1, 2, 3, 4, 5, 6, 7"):
        load(tmp_path)
    write_rafdb(tmp_path, {**LABELS, "val_0003.jpg": 2})
    with pytest.raises(UserError, match=r"list_patition_label.txt:6: image name "
                                        r"'val_0003.jpg' must start with train_ or test_"):
        load(tmp_path)
    (tmp_path / "EmoLabel" / "list_patition_label.txt").write_text("train_00001.jpg\n")
    with pytest.raises(UserError, match=r"list_patition_label.txt:1: expected"):
        load(tmp_path)


def test_missing_root_and_image_folder(tmp_path, write_rafdb):
    with pytest.raises(UserError, match="list_patition_label.txt.*licence-gated"):
        load(tmp_path)
    write_rafdb(tmp_path, LABELS)
    for p in (tmp_path / "Image" / "original").iterdir():
        p.unlink()
    (tmp_path / "Image" / "original").rmdir()
    with pytest.raises(UserError, match="Image/original not found"):
        load(tmp_path, images="original")
