"""FER+ loader: the three label modes, the row-by-row join with fer2013.csv, bad input."""

import numpy as np
import pytest
import torch

from ferbench.data.formats.ferplus import CLASSES, load
from ferbench.errors import UserError

# neutral, happiness, surprise, sadness, anger, disgust, fear, contempt, unknown, NF
VOTES = [
    [4, 0, 0, 1, 3, 2, 0, 0, 0, 0],   # majority: 4 of 9 after dropping the 1 -> none
    [6, 0, 0, 1, 3, 0, 0, 0, 0, 0],   # neutral everywhere
    [0, 0, 0, 0, 0, 0, 0, 0, 2, 8],   # non-face: dropped everywhere
    [1, 1, 1, 1, 1, 1, 1, 1, 1, 1],   # all single votes: majority none, plurality neutral
    [0, 0, 0, 0, 0, 0, 0, 10, 0, 0],  # contempt
    [0, 3, 7, 0, 0, 0, 0, 0, 0, 0],   # surprise
    [0, 9, 0, 0, 0, 0, 0, 0, 1, 0],   # happy, with an empty image name below
]
NAMES = [f"fer{i:07d}.png" for i in range(6)] + [""]


def test_class_order_and_majority(tmp_path, write_ferplus):
    write_ferplus(tmp_path, VOTES, names=NAMES)
    fs = load(tmp_path)
    assert fs.info.class_names == CLASSES == ("neutral", "happy", "surprise", "sadness",
                                              "anger", "disgust", "fear", "contempt")
    assert fs.keys.tolist() == ["fer0000001.png", "fer0000004.png", "fer0000005.png"]
    assert fs.labels.tolist() == [0, 7, 2]
    assert fs.official_split.tolist() == ["val", "val", "test"]
    assert fs.info.extra["dropped"] == {"empty image name": 1,
                                        "unknown, non-face or no majority": 3}
    assert fs.soft_labels is None


def test_pixels_joined_row_by_row(tmp_path, write_ferplus):
    write_ferplus(tmp_path, VOTES, names=NAMES)
    fs = load(tmp_path, label_mode="majority")
    pixels_row_5 = (tmp_path / "fer2013.csv").read_text().splitlines()[6].split(",")[1]
    expected = np.array(pixels_row_5.split(), dtype=np.uint8).reshape(48, 48)
    assert np.array_equal(fs.images[2, 0].numpy(), expected)  # fer0000005 is row 5


def test_plurality(tmp_path, write_ferplus):
    write_ferplus(tmp_path, VOTES, names=NAMES)
    fs = load(tmp_path, label_mode="plurality")
    assert fs.keys.tolist() == [f"fer{i:07d}.png" for i in (0, 1, 3, 4, 5)]
    assert fs.labels.tolist() == [0, 0, 0, 7, 2]


def test_soft_labels(tmp_path, write_ferplus):
    write_ferplus(tmp_path, VOTES, names=NAMES)
    fs = load(tmp_path, label_mode="soft")
    assert fs.soft_labels.shape == (5, 8) and fs.soft_labels.dtype == torch.float32
    assert torch.allclose(fs.soft_labels.sum(1), torch.ones(5))
    assert torch.allclose(fs.soft_labels[0], torch.tensor([.4, 0, 0, .1, .3, .2, 0, 0]))
    assert torch.equal(fs.labels, fs.soft_labels.argmax(1))


def test_bad_option_values(tmp_path, write_ferplus):
    write_ferplus(tmp_path, VOTES, names=NAMES)
    with pytest.raises(UserError, match="label_mode='vote'.*'majority' or 'plurality' or"):
        load(tmp_path, label_mode="vote")
    with pytest.raises(UserError, match="unknown option 'mode'"):
        load(tmp_path, mode="soft")


def test_wrong_header_and_bad_votes(tmp_path, write_ferplus):
    write_ferplus(tmp_path, VOTES, header="Usage,Image name,neutral,happiness")
    with pytest.raises(UserError, match=r"fer2013new.csv:1: header .*lacks surprise"):
        load(tmp_path)
    votes = [list(v) for v in VOTES]
    votes[2][3] = "x"
    write_ferplus(tmp_path, votes)
    with pytest.raises(UserError, match=r"fer2013new.csv:4: vote counts must be integers"):
        load(tmp_path)


def test_row_count_mismatch_and_missing_pixels(tmp_path, write_ferplus):
    write_ferplus(tmp_path, VOTES)
    lines = (tmp_path / "fer2013.csv").read_text().splitlines()
    (tmp_path / "fer2013.csv").write_text("\n".join(lines[:-1]) + "\n")
    with pytest.raises(UserError, match="7 rows but .*fer2013.csv has 6"):
        load(tmp_path)
    (tmp_path / "fer2013.csv").unlink()
    with pytest.raises(UserError, match="no fer2013.csv"):
        load(tmp_path)


def test_missing_root(tmp_path):
    with pytest.raises(UserError, match="fer2013new.csv.*licence-gated"):
        load(tmp_path)
