"""FER2013 loader: fer2013.csv, icml_face_data.csv, the image-folder layout, and bad input."""

import numpy as np
import pytest
import torch

from ferbench.data.formats.fer2013 import CLASSES, load
from ferbench.errors import UserError


def test_csv_layout_labels_splits_and_pixels(tmp_path, fer_rows, write_fer_csv):
    rows = fer_rows(14)
    path = write_fer_csv(tmp_path / "fer2013.csv", rows)
    fs = load(tmp_path)  # a folder holding fer2013.csv
    assert fs.info.class_names == CLASSES == ("anger", "disgust", "fear", "happy", "sadness",
                                              "surprise", "neutral")
    assert fs.images.shape == (14, 1, 48, 48) and fs.images.dtype == torch.uint8
    assert fs.labels.tolist() == [r[0] for r in rows]
    assert fs.official_split[:3].tolist() == ["train", "val", "test"]
    expected = np.array(rows[5][1].split(), dtype=np.uint8).reshape(48, 48)
    assert np.array_equal(fs.images[5, 0].numpy(), expected)
    assert fs.keys[0] == "fer2013.csv:2" and len(set(fs.keys)) == 14
    assert (fs.subjects == fs.keys).all() and fs.info.num_subjects == 14
    assert load(path).keys.tolist() == fs.keys.tolist()  # the CSV path itself works too


def test_icml_variant_and_resize_to_rgb(tmp_path, fer_rows, write_fer_csv):
    rows = fer_rows(7)
    write_fer_csv(tmp_path / "icml_face_data.csv", rows, icml=True)
    fs = load(tmp_path, image_size=32, channels="3")
    assert fs.images.shape == (7, 3, 32, 32)
    assert torch.equal(fs.images[:, 0], fs.images[:, 2])  # grey replicated
    assert fs.labels.tolist() == list(range(7))


def test_image_folder_layout(tmp_path, write_image, write_corrupt):
    write_image(tmp_path / "train" / "angry" / "Training_10.jpg", seed=1)
    write_image(tmp_path / "train" / "sad" / "Training_11.jpg", seed=2)
    write_image(tmp_path / "test" / "happy" / "PublicTest_3.jpg", seed=3)
    write_image(tmp_path / "test" / "neutral" / "PrivateTest_4.jpg", seed=4)
    write_corrupt(tmp_path / "test" / "fear" / "PrivateTest_9.jpg")
    fs = load(tmp_path)
    by_key = dict(zip(fs.keys.tolist(), zip(fs.labels.tolist(), fs.official_split.tolist(),
                                            strict=True), strict=True))
    assert by_key == {"train/angry/Training_10.jpg": (0, "train"),
                      "train/sad/Training_11.jpg": (4, "train"),
                      "test/happy/PublicTest_3.jpg": (3, "val"),
                      "test/neutral/PrivateTest_4.jpg": (6, "test")}
    assert len(fs.skipped) == 1 and fs.skipped[0][0].endswith("PrivateTest_9.jpg")
    with pytest.raises(UserError, match="PrivateTest_9.jpg"):
        load(tmp_path, strict=True)


def test_wrong_header(tmp_path):
    path = tmp_path / "fer2013.csv"
    path.write_text("label,pixels,Usage\n0," + " ".join(["0"] * 2304) + ",Training\n")
    with pytest.raises(UserError, match=r"fer2013.csv:1: header .*emotion"):
        load(path)


def test_wrong_pixel_count_names_line(tmp_path, fer_rows, write_fer_csv):
    rows = fer_rows(4)
    rows[2] = (rows[2][0], " ".join(["7"] * 2303), rows[2][2])
    write_fer_csv(tmp_path / "fer2013.csv", rows)
    with pytest.raises(UserError, match=r"fer2013.csv:4: pixels field has 2303 values"):
        load(tmp_path)


def test_non_integer_and_out_of_range_pixels(tmp_path, fer_rows, write_fer_csv):
    rows = fer_rows(2)
    rows[1] = (rows[1][0], " ".join(["7"] * 2303 + ["x"]), rows[1][2])
    write_fer_csv(tmp_path / "fer2013.csv", rows)
    with pytest.raises(UserError, match=r"fer2013.csv:3: pixels field holds a non-integer"):
        load(tmp_path)
    rows[1] = (rows[1][0], " ".join(["7"] * 2303 + ["300"]), rows[1][2])
    write_fer_csv(tmp_path / "fer2013.csv", rows)
    with pytest.raises(UserError, match=r"fer2013.csv:3: pixel value outside 0-255"):
        load(tmp_path)


def test_unknown_label_code_and_usage(tmp_path, fer_rows, write_fer_csv):
    rows = fer_rows(5)
    rows[3] = (9, rows[3][1], rows[3][2])
    write_fer_csv(tmp_path / "fer2013.csv", rows)
    with pytest.raises(UserError, match=r"fer2013.csv:5: unknown label code '9'"):
        load(tmp_path)
    rows[3] = (1, rows[3][1], "Validation")
    write_fer_csv(tmp_path / "fer2013.csv", rows)
    with pytest.raises(UserError, match=r"fer2013.csv:5: unknown Usage 'Validation'"):
        load(tmp_path)


def test_missing_root_and_unknown_option(tmp_path):
    with pytest.raises(UserError, match="licence-gated.*does not download") as err:
        load(tmp_path / "nowhere")
    assert "fer2013.csv" in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(UserError, match="licence-gated"):
        load(tmp_path)  # exists, but holds nothing of FER2013
    with pytest.raises(UserError, match="unknown option 'foo'"):
        load(tmp_path, foo=1)
    with pytest.raises(UserError, match="channels='2'.*1 or 3"):
        load(tmp_path, channels="2")
