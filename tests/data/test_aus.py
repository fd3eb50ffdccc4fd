"""AU options (selection, threshold, derived AUs), cross-dataset AU alignment and CK+'s fixed
AU vocabulary."""

import re
from pathlib import Path

import numpy as np
import pytest
import torch

from ferbench.data.aus import (
    AU_OPTIONS,
    DERIVED_AU_CODES,
    EMOTION_AUS,
    align_aus,
    apply_au_options,
)
from ferbench.data.faceset import FaceSet
from ferbench.data.formats import ckplus
from ferbench.data.info import DatasetInfo
from ferbench.errors import UserError

PAPER = Path(__file__).resolve().parents[3] / "shared" / "papers" / "001_57125b386c625362.txt"
NAN = float("nan")


def au_faceset(codes=(1, 2, 4), intensity=None, extra=None, name="au"):
    """Four samples with AU intensities (rows: 0, 3, NaN / 2, 1, 5 / ...)."""
    values = torch.tensor(intensity if intensity is not None else
                          [[0, 3, NAN], [2, 1, 5], [NAN, 0, 2], [4, 4, 0]],
                          dtype=torch.float32)
    presence = torch.where(values.isnan(), 255, (values >= 1).to(torch.uint8)).to(torch.uint8)
    info = DatasetInfo(name, (), tasks=("au",), au_codes=tuple(codes), extra=extra or {})
    n = len(values)
    return FaceSet(info, torch.zeros(n, 1, 4, 4, dtype=torch.uint8), torch.full((n,), -1),
                   np.array(["a", "a", "b", "b"]), np.arange(n).astype(str),
                   au_presence=presence, au_intensity=values)


def expression_faceset(classes, labels):
    info = DatasetInfo("expr", tuple(classes))
    n = len(labels)
    return FaceSet(info, torch.zeros(n, 1, 4, 4, dtype=torch.uint8), torch.tensor(labels),
                   np.arange(n).astype(str), np.arange(n).astype(str))


def test_selection_keeps_the_requested_order():
    fs = apply_au_options(au_faceset(), {"aus": "4, 1"})
    assert fs.info.au_codes == (4, 1)
    assert fs.au_presence.tolist() == [[255, 0], [1, 1], [1, 255], [0, 1]]
    torch.testing.assert_close(fs.au_intensity[:, 1], au_faceset().au_intensity[:, 0],
                               equal_nan=True)
    assert apply_au_options(au_faceset(), {"aus": [2, "AU1"]}).info.au_codes == (2, 1)


def test_unknown_or_malformed_aus_are_user_errors():
    with pytest.raises(UserError, match=r"asks for AU 9.*its AU codes are 1, 2, 4"):
        apply_au_options(au_faceset(), {"aus": "1,9"})
    with pytest.raises(UserError, match=r"aus='1,x'.*AU numbers"):
        apply_au_options(au_faceset(), {"aus": "1,x"})
    with pytest.raises(UserError, match="distinct"):
        apply_au_options(au_faceset(), {"aus": "1,1"})
    with pytest.raises(UserError, match="unknown AU option 'au'"):
        apply_au_options(au_faceset(), {"au": "1"})
    with pytest.raises(UserError, match=r"au_threshold='high'"):
        apply_au_options(au_faceset(), {"au_threshold": "high"})


def test_threshold_turns_intensity_into_presence_and_keeps_unknown():
    fs = apply_au_options(au_faceset(), {"au_threshold": "2"})
    values = au_faceset().au_intensity.numpy()
    expected = np.where(np.isnan(values), 255, values >= 2)
    assert fs.au_presence.numpy().tolist() == expected.tolist()
    assert fs.au_presence[0].tolist() == [0, 1, 255] and fs.info.extra["au_threshold"] == 2.0
    occurrence_only = au_faceset()
    occurrence_only.au_intensity = None
    with pytest.raises(UserError, match="au_threshold needs AU intensities"):
        apply_au_options(occurrence_only, {"au_threshold": 1})


def test_dataset_default_aus_apply_unless_aus_given():
    fs = au_faceset(extra={"default_aus": [2, 4]})
    assert apply_au_options(fs, {}).info.au_codes == (2, 4)
    assert apply_au_options(fs, {"aus": "1"}).info.au_codes == (1,)
    assert apply_au_options(au_faceset(), {}).info.au_codes == (1, 2, 4)


def test_emotion_mapping_is_paper_001_table_vi():
    text = PAPER.read_text(encoding="utf-8")
    table = text[text.index("TABLE VI."):text.index("3) Transfer Learning on AUs")]
    names = {"Happy": "happy", "Sad": "sadness", "Fearful": "fear", "Surprised": "surprise",
             "Angry": "anger", "Disgusted": "disgust", "Contemptuous": "contempt"}
    for paper_name, name in names.items():
        row = re.search(rf"^{paper_name}\s+\{{(.*)\}}", table, re.M).group(1)
        assert set(EMOTION_AUS[name]) == {int(a) for a in re.findall(r"AU(\d+)", row)}
    assert EMOTION_AUS["neutral"] == ()
    assert DERIVED_AU_CODES == (1, 2, 4, 5, 6, 7, 9, 12, 15, 17, 23, 24, 25, 27)


def test_derived_aus_follow_the_label_and_are_marked():
    classes = ("neutral", "happy", "sadness", "contempt")
    fs = apply_au_options(expression_faceset(classes, [1, 0, 2, 3, -1]),
                          {"aus_from_emotion": "true"})
    assert fs.info.extra["derived_aus"] is True and "au" in fs.info.tasks
    assert fs.info.au_codes == DERIVED_AU_CODES and fs.au_intensity is None
    on = {name: {c for c, p in zip(DERIVED_AU_CODES, row, strict=True) if p == 1}
          for name, row in zip(["happy", "neutral", "sadness", "contempt"],
                               fs.au_presence.tolist(), strict=False)}
    assert on == {"happy": {6, 12, 25}, "neutral": set(), "sadness": {1, 4, 15, 17},
                  "contempt": {12}}
    assert set(fs.au_presence[4].tolist()) == {255}  # unlabelled sample: unknown
    picked = apply_au_options(expression_faceset(classes, [1]),
                              {"aus_from_emotion": True, "aus": "12,1"})
    assert picked.au_presence.tolist() == [[1, 0]] and picked.info.extra["derived_aus"]
    with pytest.raises(UserError, match="classes among .*found joy"):
        apply_au_options(expression_faceset(("happy", "joy"), [0]), {"aus_from_emotion": 1})
    with pytest.raises(UserError, match="found no expression labels"):
        apply_au_options(au_faceset(), {"aus_from_emotion": "yes"})


def test_options_need_au_labels():
    with pytest.raises(UserError, match="expr: option aus needs AU labels.*aus_from_emotion"):
        apply_au_options(expression_faceset(("happy",), [0]), {"aus": "1"})
    assert AU_OPTIONS == ("aus", "au_threshold", "aus_from_emotion")


def test_align_aus_keeps_shared_codes_in_code_order():
    a = au_faceset(codes=(4, 1, 2), name="a")
    b = au_faceset(codes=(2, 9, 4), name="b")
    a2, b2 = align_aus(a, b)
    assert a2.info.au_codes == b2.info.au_codes == (2, 4)
    assert torch.equal(a2.au_presence, a.au_presence[:, [2, 0]])
    assert torch.equal(b2.au_presence, b.au_presence[:, [0, 2]])
    with pytest.raises(UserError, match="a -> c: no shared AU codes"):
        align_aus(a, au_faceset(codes=(5, 6, 7), name="c"))


def test_ckplus_au_columns_do_not_depend_on_the_loaded_subset(tmp_path, write_ck_sequence):
    first, second = tmp_path / "one", tmp_path / "two"
    write_ck_sequence(first, "S050", "001", 3, emotion=5.0, aus=[(6, 2), (12, 0)])
    write_ck_sequence(second, "S060", "002", 3, emotion=7.0, aus=[(1, 3), (27, 1), (62, 0)])
    a, b = ckplus.load(first, image_size=32), ckplus.load(second, image_size=32)
    assert a.info.au_codes == b.info.au_codes == ckplus.AU_CODES
    col = ckplus.AU_CODES.index
    assert a.au_presence[0, col(6)] == 1 and a.au_presence[0].sum() == 2
    assert a.au_intensity[0, col(6)] == 2 and a.au_intensity[0, col(12)].isnan()
    assert a.au_intensity[0, col(1)] == 0
    assert b.au_presence[0, col(27)] == 1 and b.info.extra["unlisted_au_codes"] == {62: 3}
    assert a.pair_keys.tolist() == ["S050"] * 3
