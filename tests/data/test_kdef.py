"""KDEF loader on a generated KDEF/AF01/AF01ANS.JPG tree (drawn faces, the real dlib
detector and predictor)."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ferbench.data.face.cartoon import draw_face
from ferbench.data.formats import kdef
from ferbench.data.triples import build_triples, triple_counts
from ferbench.errors import UserError

CODES = ("AF", "AN", "DI", "HA", "NE", "SA", "SU")


def write_photo(path: Path, pixels: np.ndarray | None = None) -> Path:
    """A portrait RGB JPEG (KDEF photos are 562x762) with the face in the middle."""
    path.parent.mkdir(parents=True, exist_ok=True)
    face = draw_face(150) if pixels is None else pixels
    canvas = np.pad(face, ((30, 30), (0, 0)), mode="edge")
    Image.fromarray(np.repeat(canvas[..., None], 3, axis=2)).save(path, quality=95)
    return path


@pytest.fixture
def kdef_parent(tmp_path) -> Path:
    """KDEF_and_AKDEF/KDEF/: woman 01 in sessions A and B, man 02 in session A; 7 straight
    expressions each, plus a half-left and a full-right view of AF01."""
    parent = tmp_path / "KDEF_and_AKDEF"
    root = parent / "KDEF"
    for folder in ("AF01", "BF01", "AM02"):
        for code in CODES:
            write_photo(root / folder / f"{folder}{code}S.JPG")
    write_photo(root / "AF01" / "AF01HAHL.JPG")
    write_photo(root / "AF01" / "AF01HAFR.JPG")
    (parent / "AKDEF").mkdir()
    return parent


def test_straight_views_of_both_sessions(kdef_parent):
    data = kdef.load(kdef_parent, image_size=40)
    assert len(data) == 21 and data.skipped == []
    assert data.info.class_names == ("neutral", "anger", "disgust", "fear", "happy", "sadness",
                                     "surprise")
    assert list(data.class_counts().values()) == [3] * 7
    assert data.images.shape == (21, 1, 40, 40) and data.landmarks.shape == (21, 68, 2)
    assert set(data.subjects) == {"F01", "M02"} and data.info.num_subjects == 2
    assert set(data.pair_keys) == {"F01A_S", "F01B_S", "M02A_S"}
    label = dict(zip(data.keys, data.labels.tolist(), strict=True))
    assert data.info.class_names[label["AF01/AF01AFS.JPG"]] == "fear"
    assert data.info.class_names[label["BF01/BF01SUS.JPG"]] == "surprise"


def test_root_may_be_the_kdef_folder_itself(kdef_parent):
    data = kdef.load(kdef_parent / "KDEF", session="B")
    assert len(data) == 7 and set(data.subjects) == {"F01"}


@pytest.mark.parametrize("options,count", [
    ({"angle": "all"}, 23), ({"angle": "HL"}, 1), ({"angle": "FR", "session": "A"}, 1),
    ({"session": "A"}, 14),
])
def test_angle_and_session_options(kdef_parent, options, count):
    assert len(kdef.load(kdef_parent, **options)) == count


def test_transfer_triples_keep_person_session_and_angle(kdef_parent):
    data = kdef.load(kdef_parent, angle="all")
    triples = build_triples(data, np.arange(len(data)), per_target=100)

    def photo(i):  # (session, gender + id, emotion code, angle) from the file name
        session, gender, number, code, angle = kdef.FILE_NAME.fullmatch(
            Path(data.keys[i]).stem).groups()
        return session, gender + number, code, angle

    for s, t, u in zip(triples.source, triples.target, triples.truth, strict=True):
        (_, donor, expression, _), (session, person, _, angle) = photo(s), photo(t)
        assert donor != person and photo(u) == (session, person, expression, angle)
    # sessions A and B of F01 are separate pair keys; the HL and FR views are alone in theirs
    assert {photo(t)[3] for t in triples.target} == {"S"}
    assert {photo(t)[0] for t in triples.target if photo(t)[1] == "F01"} == {"A", "B"}
    assert {photo(s)[3] for s in triples.source} == {"S", "HL", "FR"}
    # F01's 14 targets take M02's 6 other expressions; M02's 7 take F01's 16 photos but their
    # own expression (2, or 4 for happy)
    assert triple_counts(data, triples) == {"triples": 14 * 6 + 6 * 14 + 12, "targets": 21,
                                            "identities": 2}


@pytest.mark.parametrize("options,match", [
    ({"angle": "straight"}, r"angle='straight' is invalid; expected 'S' or 'HL'"),
    ({"session": "C"}, "session='C' is invalid"),
    ({"gaze": "left"}, "unknown option 'gaze'"),
])
def test_bad_options(kdef_parent, options, match):
    with pytest.raises(UserError, match=match):
        kdef.load(kdef_parent, **options)


def test_missing_or_wrong_root(tmp_path):
    (tmp_path / "photos").mkdir()
    for root in (tmp_path / "missing", tmp_path / "photos"):
        with pytest.raises(UserError, match="KDEF/AF01/AF01ANS.JPG.*licence-gated"):
            kdef.load(root)


def test_bad_names_unreadable_and_faceless_files(kdef_parent):
    folder = kdef_parent / "KDEF" / "AM02"
    unknown = write_photo(folder / "AM02XXS.JPG")
    tilted = write_photo(folder / "AM02HAQQ.JPG")
    other = write_photo(folder / "portrait.jpg")
    broken = folder / "AM02ANHR.JPG"
    broken.write_bytes(b"not a jpeg")
    blank = write_photo(folder / "AM02NEHL.JPG", np.full((150, 150), 90, np.uint8))
    data = kdef.load(kdef_parent, angle="all")
    assert len(data) == 23
    reasons = dict(data.skipped)
    assert len(reasons) == 5
    assert "unknown emotion code 'XX'" in reasons[str(unknown)]
    assert "unknown angle code 'QQ'" in reasons[str(tilted)]
    assert "does not follow AF01ANS.JPG" in reasons[str(other)]
    assert "unreadable image" in reasons[str(broken)]
    assert "no face found" in reasons[str(blank)]
    with pytest.raises(UserError, match="AM02HAQQ.JPG: unknown angle code 'QQ'"):
        kdef.load(kdef_parent, strict=True)
