"""The ckplus loader on the real CK+48 crops (skipped only when the folder is absent)."""

import os
from pathlib import Path

import numpy as np
import pytest

from ferbench.data.formats.ckplus import load
from ferbench.data.protocols import build_splits

CKPLUS48 = Path(os.environ.get("FERBENCH_CKPLUS48") or
                Path(__file__).resolve().parents[2] / ".." / "shared" / "datasets" / "CK+48")

pytestmark = [pytest.mark.realdata,
              pytest.mark.skipif(not CKPLUS48.is_dir(), reason=f"{CKPLUS48} absent")]


@pytest.fixture(scope="module")
def ck48():
    return load(CKPLUS48)


def test_counts_classes_and_subjects(ck48):
    assert len(ck48) == 981 and not ck48.skipped
    assert ck48.images.shape == (981, 1, 48, 48)
    assert ck48.class_counts() == {"anger": 135, "contempt": 54, "disgust": 177, "fear": 75,
                                   "happy": 207, "sadness": 84, "surprise": 249}
    assert ck48.info.num_subjects == 118 and len(set(ck48.subjects)) == 118
    assert all(s.startswith("S") and s == k.split("/")[1][:4]
               for s, k in zip(ck48.subjects, ck48.keys, strict=True))
    assert len(set(ck48.keys)) == 981


def test_ten_subject_disjoint_folds(ck48):
    splits = build_splits(ck48, "kfold", k=10, seed=0)
    assert len(splits) == 10
    tested = np.concatenate([s.test for s in splits])
    assert sorted(tested.tolist()) == list(range(981))  # every image tested exactly once
    owner = {}
    for s in splits:
        test_subjects = set(ck48.subjects[s.test])
        assert not test_subjects & set(ck48.subjects[s.train])
        assert not test_subjects & set(ck48.subjects[s.val])
        for subject in test_subjects:
            assert owner.setdefault(subject, s.fold) == s.fold
    assert len(owner) == 118
