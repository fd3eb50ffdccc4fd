"""AffectNet loader: face-box crop, landmarks, 8/7 classes, dropped codes, bad input."""

import pytest
import torch

from ferbench.data.formats.affectnet import CLASSES, load
from ferbench.errors import UserError

TRAIN = [("1/a.jpg", (10, 5, 40, 40), 0), ("1/b.jpg", (30, 20, 50, 40), 7),
         ("2/c.jpg", (0, 0, 60, 60), 8), ("2/d.jpg", (5, 5, 30, 30), 9),
         ("2/e.jpg", (20, 10, 40, 60), 1), ("3/f.jpg", (5, 5, 30, 30), 10)]
VAL = [("4/g.jpg", (12, 8, 44, 44), 6), ("4/h.jpg", (12, 8, 44, 44), 3)]


def test_crop_labels_split_and_landmarks(tmp_path, write_affectnet):
    write_affectnet(tmp_path, {"training.csv": TRAIN, "validation.csv": VAL})
    fs = load(tmp_path, image_size=32)
    assert fs.info.class_names == CLASSES and len(CLASSES) == 8
    assert fs.keys.tolist() == ["1/a.jpg", "1/b.jpg", "2/e.jpg", "4/g.jpg", "4/h.jpg"]
    assert fs.labels.tolist() == [0, 7, 1, 6, 3]
    assert fs.official_split.tolist() == ["train"] * 3 + ["test"] * 2
    assert fs.info.extra["dropped"] == {"none": 1, "uncertain": 1, "non-face": 1}
    assert fs.images.shape == (5, 1, 32, 32)
    assert fs.images.float().mean() > 250  # each crop is exactly the white face box
    assert fs.landmarks.shape == (5, 68, 2)
    assert torch.allclose(fs.landmarks[:, 0], torch.zeros(5, 2), atol=0.05)
    assert torch.allclose(fs.landmarks[:, -1], torch.full((5, 2), 32.0), atol=0.05)


def test_seven_classes_drops_contempt(tmp_path, write_affectnet):
    write_affectnet(tmp_path, {"training.csv": TRAIN, "validation.csv": VAL}, image_dir="")
    fs = load(tmp_path, classes="7")  # images directly under the root
    assert fs.info.class_names == CLASSES[:7] and "contempt" not in fs.info.class_names
    assert fs.keys.tolist() == ["1/a.jpg", "2/e.jpg", "4/g.jpg", "4/h.jpg"]
    assert fs.info.extra["dropped"]["contempt (classes=7)"] == 1
    with pytest.raises(UserError, match="classes=6 .*7 or 8"):
        load(tmp_path, classes=6)


def test_unreadable_image_and_missing_landmarks(tmp_path, write_affectnet):
    write_affectnet(tmp_path, {"training.csv": TRAIN}, landmarks=False)
    (tmp_path / "Manually_Annotated_Images" / "1" / "b.jpg").write_bytes(b"garbage")
    fs = load(tmp_path)
    assert fs.landmarks is None and len(fs) == 2
    assert fs.skipped[0][0].endswith("b.jpg") and "unreadable" in fs.skipped[0][1]
    with pytest.raises(UserError, match="b.jpg: unreadable image"):
        load(tmp_path, strict=True)


def test_unknown_code_header_and_fields(tmp_path, write_affectnet):
    write_affectnet(tmp_path, {"training.csv": TRAIN + [("5/x.jpg", (1, 1, 20, 20), 11)]})
    with pytest.raises(UserError, match=r"training.csv:8: unknown label code '11'"):
        load(tmp_path)
    write_affectnet(tmp_path, {"training.csv": TRAIN},
                    header="subDirectory_filePath,face_x,face_y,expression")
    with pytest.raises(UserError, match=r"training.csv:1: header .*lacks face_width"):
        load(tmp_path)
    write_affectnet(tmp_path, {"training.csv": TRAIN})
    text = (tmp_path / "training.csv").read_text().replace("1/a.jpg,10,", "1/a.jpg,ten,")
    (tmp_path / "training.csv").write_text(text)
    with pytest.raises(UserError, match=r"training.csv:2: face_x, face_y"):
        load(tmp_path)
    lines = (tmp_path / "training.csv").read_text().splitlines()
    lines[1] = "1/a.jpg,10,5,40,40,1;2;3,0,0.1,0.2"
    (tmp_path / "training.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(UserError, match=r"training.csv:2: facial_landmarks has 3 values"):
        load(tmp_path)


def test_missing_root(tmp_path):
    with pytest.raises(UserError, match="training.csv.*licence-gated"):
        load(tmp_path / "AffectNet")


def test_box_leaving_the_image_is_padded_black(tmp_path, write_affectnet):
    # the 100x80 image is white inside the box; the box's right and bottom 10 px lie outside
    write_affectnet(tmp_path, {"validation.csv": [("9/edge.jpg", (70, 50, 40, 40), 5)]})
    fs = load(tmp_path, image_size=40)
    face = fs.images[0, 0].float()
    assert face[:25, :25].mean() > 245 and face[33:, 33:].mean() < 10
    assert torch.allclose(fs.landmarks[0, -1], torch.tensor([40.0, 40.0]), atol=0.05)
    write_affectnet(tmp_path, {"validation.csv": [("9/edge.jpg", (120, 50, 40, 40), 5)]})
    with pytest.raises(UserError, match="edge.jpg: face box .* lies outside the 100x80 image"):
        load(tmp_path, strict=True)
