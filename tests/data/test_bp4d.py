"""BP4D loader on fixtures in the release layout: AU_OCC CSVs (0/1/9 codes), frame folders,
frame sampling, missing frames, unknown codes and the official folds."""

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from ferbench.data.aus import apply_au_options
from ferbench.data.formats.bp4d import DEFAULT_AUS, FOLDS, load
from ferbench.data.protocols import build_splits
from ferbench.errors import UserError

HEADER_AUS = (1, 2, 4, 6, 7, 10, 12, 14, 15, 17, 23, 24, 28)
SEQUENCES = (("F001", "T1"), ("F001", "T2"), ("M007", "T1"), ("M011", "T3"), ("F003", "T1"),
             ("F007", "T8"))
FIRST_FRAME = 100


def code(subject: str, task: str, frame: int, au: int) -> int:
    value = (int(subject[1:]) + int(task[1:]) + frame + au) % 5
    return 9 if value == 4 else value % 2


def write_sequence(root: Path, subject: str, task: str, frames: int = 3, *,
                   aus=HEADER_AUS, frame_column: str = "Frame") -> None:
    """AUCoding/AU_OCC/<subject>_<task>.csv plus Sequences/<subject>/<task>/0100.jpg ..."""
    csv = root / "AUCoding" / "AU_OCC" / f"{subject}_{task}.csv"
    csv.parent.mkdir(parents=True, exist_ok=True)
    rows = [",".join([frame_column, *map(str, aus)])]
    folder = root / "Sequences" / subject / task
    folder.mkdir(parents=True, exist_ok=True)
    for f in range(FIRST_FRAME, FIRST_FRAME + frames):
        rows.append(",".join([str(f), *(str(code(subject, task, f, au)) for au in aus)]))
        rng = np.random.default_rng(f + int(subject[1:]))
        Image.fromarray(rng.integers(0, 256, (32, 32), dtype=np.uint8)).save(
            folder / f"{f:04d}.jpg")
    csv.write_text("\n".join(rows) + "\n")


@pytest.fixture
def bp4d(tmp_path):
    for subject, task in SEQUENCES:
        write_sequence(tmp_path, subject, task)
    return tmp_path


def expected_presence(sequences, frames=3, aus=HEADER_AUS):
    table = np.array([[code(s, t, f, au) for au in aus] for s, t in sequences
                      for f in range(FIRST_FRAME, FIRST_FRAME + frames)])
    return np.where(table == 9, 255, table).astype(np.uint8)


def test_occurrence_codes_keys_and_pixels(bp4d):
    fs = load(bp4d, image_size=32)
    n = len(SEQUENCES) * 3
    assert fs.images.shape == (n, 1, 32, 32) and fs.skipped == []
    assert fs.info.tasks == ("au",) and fs.info.class_names == ()
    assert fs.labels.tolist() == [-1] * n and fs.au_intensity is None
    assert fs.info.au_codes == HEADER_AUS
    order = sorted(SEQUENCES)
    np.testing.assert_array_equal(fs.au_presence.numpy(), expected_presence(order))
    assert 255 in fs.au_presence and 1 in fs.au_presence and 0 in fs.au_presence
    assert fs.keys[:4].tolist() == ["F001/T1/100", "F001/T1/101", "F001/T1/102",
                                    "F001/T2/100"]
    first = np.array(Image.open(bp4d / "Sequences" / "F001" / "T1" / "0100.jpg"))
    assert torch.equal(fs.images[0, 0], torch.from_numpy(first))
    folds = dict(zip(fs.subjects.tolist(), fs.official_fold.tolist(), strict=False))
    assert folds == {"F001": 0, "M007": 0, "M011": 1, "F003": 1, "F007": 2}
    assert apply_au_options(fs, {}).info.au_codes == DEFAULT_AUS


def test_columns_union_header_variant_and_every(tmp_path):
    write_sequence(tmp_path, "F002", "T1", frames=5, frame_column="0")
    write_sequence(tmp_path, "M001", "T2", frames=5, aus=(1, 2, 4))
    fs = load(tmp_path, every=2, image_size=16, channels=3)
    assert fs.images.shape == (6, 3, 16, 16)
    assert fs.keys.tolist() == ["F002/T1/100", "F002/T1/102", "F002/T1/104",
                                "M001/T2/100", "M001/T2/102", "M001/T2/104"]
    assert fs.info.au_codes == HEADER_AUS
    m001 = fs.au_presence[3:].numpy()
    assert (m001[:, 3:] == 255).all()  # AUs M001's file does not code
    np.testing.assert_array_equal(m001[:, :3], expected_presence([("M001", "T2")], 5,
                                                                 (1, 2, 4))[::2])
    assert fs.info.extra["default_aus"] == list(DEFAULT_AUS)


def test_missing_frames_skipped_or_strict(bp4d):
    (bp4d / "Sequences" / "M011" / "T3" / "0101.jpg").unlink()
    fs = load(bp4d, image_size=32)
    assert len(fs) == len(SEQUENCES) * 3 - 1 and "M011/T3/101" not in fs.keys
    assert fs.skipped == [(str(bp4d / "Sequences" / "M011" / "T3" / "101"),
                           "missing frame (M011 T3 frame 101)")]
    with pytest.raises(UserError, match=r"T3/101: missing frame"):
        load(bp4d, strict="true")


def test_unknown_codes_and_bad_headers_name_file_and_line(bp4d):
    csv = bp4d / "AUCoding" / "AU_OCC" / "F003_T1.csv"
    lines = csv.read_text().splitlines()
    lines[2] = lines[2][:-1] + "3"
    csv.write_text("\n".join(lines) + "\n")
    with pytest.raises(UserError, match=r"F003_T1.csv:3: unknown occurrence code 3 for AU 28; "
                                        r"expected 0, 1 or 9"):
        load(bp4d)
    csv.write_text("Frame,1,AU2\n100,0,1\n")
    with pytest.raises(UserError, match=r"F003_T1.csv:1: header 'Frame,1,AU2'"):
        load(bp4d)
    csv.write_text("Frame,1,2\n100,0\n")
    with pytest.raises(UserError, match=r"F003_T1.csv:2: 2 fields, expected 3"):
        load(bp4d)
    write_sequence(bp4d, "F003", "T1")
    (bp4d / "AUCoding" / "AU_OCC" / "notes.csv").write_text("x\n")
    with pytest.raises(UserError, match="notes.csv: file name must look like F001_T1.csv"):
        load(bp4d)


def test_official_folds_are_subject_exclusive(bp4d):
    fs = load(bp4d, image_size=32)
    splits = build_splits(fs, "official", seed=3)
    assert [s.fold for s in splits] == [0, 1, 2]
    for split in splits:
        parts = [set(fs.subjects[idx]) for idx in (split.train, split.val, split.test)]
        assert all(parts) and not (parts[0] & parts[1] or parts[0] & parts[2]
                                   or parts[1] & parts[2])
        assert parts[2] == set(FOLDS[split.fold]) & {s for s, _ in SEQUENCES}
        assert len(split.train) + len(split.val) + len(split.test) == len(fs)
    assert sum(len(f) for f in FOLDS) == 41 and len({s for f in FOLDS for s in f}) == 41


def test_missing_root(tmp_path):
    with pytest.raises(UserError, match="AU_OCC.*licence-gated"):
        load(tmp_path)
    with pytest.raises(UserError, match="every='x' is invalid"):
        load(tmp_path, every="x")
