"""Splits are subject-disjoint, cover the data as documented and hash their manifest."""

import numpy as np
import pytest
import torch

from ferbench.data.faceset import FaceSet
from ferbench.data.info import DatasetInfo
from ferbench.data.protocols import build_splits, manifest_hash
from ferbench.errors import UserError


def faceset(n_subjects=20, per_subject=12, official=False):
    n = n_subjects * per_subject
    labels = torch.arange(n) % 4
    subjects = np.repeat([f"s{i}" for i in range(n_subjects)], per_subject)
    split = None
    if official:
        split = np.where(np.arange(n) < n // 2, "train", np.where(np.arange(n) < 3 * n // 4,
                                                                   "val", "test"))
    return FaceSet(DatasetInfo("t", ("a", "b", "c", "d")), torch.zeros(n, 1, 2, 2,
                   dtype=torch.uint8), labels, subjects, np.arange(n).astype(str),
                   official_split=split)


def _subjects(fs, idx):
    return set(fs.subjects[idx])


@pytest.mark.parametrize("protocol,count", [("holdout", 1), ("kfold", 5), ("loso", 20)])
def test_subject_disjoint(protocol, count):
    fs = faceset()
    splits = build_splits(fs, protocol, k=5)
    assert len(splits) == count
    for s in splits:
        parts = [_subjects(fs, s.train), _subjects(fs, s.val), _subjects(fs, s.test)]
        assert all(parts)
        assert not (parts[0] & parts[1] or parts[0] & parts[2] or parts[1] & parts[2])
        assert len(s.train) + len(s.val) + len(s.test) == len(fs)


def test_kfold_tests_cover_every_subject_once():
    fs = faceset()
    tested = [subject for s in build_splits(fs, "kfold", k=5) for subject in _subjects(fs, s.test)]
    assert sorted(tested) == sorted(set(fs.subjects))


def test_official_split_is_respected():
    fs = faceset(official=True)
    (s,) = build_splits(fs, "official")
    assert set(fs.official_split[s.test]) == {"test"}
    assert set(fs.official_split[s.val]) == {"val"}


def test_manifest_changes_with_membership():
    fs = faceset()
    a = manifest_hash(fs, {"train": np.arange(10), "test": np.arange(10, 20)})
    b = manifest_hash(fs, {"train": np.arange(11), "test": np.arange(11, 20)})
    assert a != b and len(a) == 16


def test_bad_requests_are_user_errors():
    with pytest.raises(UserError, match="defines no official split"):
        build_splits(faceset(), "official")
    with pytest.raises(UserError, match="--k: expected 2 to 20"):
        build_splits(faceset(), "kfold", k=50)
    with pytest.raises(UserError, match="--protocol"):
        build_splits(faceset(), "random")


def unlabelled(n_subjects=9, per_subject=4, folds=(0, 1, 2, -1)):
    """An AU-style FaceSet: no classes, labels -1, subjects assigned round-robin to `folds`."""
    n = n_subjects * per_subject
    subjects = np.repeat([f"s{i}" for i in range(n_subjects)], per_subject)
    fold_of = [folds[i % len(folds)] for i in range(n_subjects)]
    return FaceSet(DatasetInfo("au", (), tasks=("au",)), torch.zeros(n, 1, 2, 2,
                   dtype=torch.uint8), torch.full((n,), -1), subjects,
                   np.arange(n).astype(str), official_fold=np.repeat(fold_of, per_subject))


def test_official_folds_give_one_subject_exclusive_split_per_fold():
    fs = unlabelled()
    splits = build_splits(fs, "official", seed=1)
    assert [s.fold for s in splits] == [0, 1, 2]
    outside = set(np.flatnonzero(fs.official_fold == -1))
    for s in splits:
        assert set(fs.official_fold[s.test]) == {s.fold}
        assert set(fs.official_fold[s.train]) | set(fs.official_fold[s.val]) == \
            {0, 1, 2} - {s.fold}
        parts = [_subjects(fs, s.train), _subjects(fs, s.val), _subjects(fs, s.test)]
        assert all(parts)
        assert not (parts[0] & parts[1] or parts[0] & parts[2] or parts[1] & parts[2])
        assert not outside & set(np.concatenate([s.train, s.val, s.test]).tolist())
    assert len({s.manifest for s in splits}) == 3


def test_official_folds_need_two_folds_and_survive_subset():
    fs = unlabelled()
    one = fs.subset(fs.official_fold == 1)
    assert set(one.official_fold.tolist()) == {1}
    with pytest.raises(UserError, match="at least 2 official folds, found 1"):
        build_splits(one, "official")


@pytest.mark.parametrize("protocol,count", [("holdout", 1), ("kfold", 3), ("loso", 9)])
def test_unlabelled_samples_split_by_subject_without_stratification(protocol, count):
    fs = unlabelled(folds=(-1,))
    splits = build_splits(fs, protocol, k=3)
    assert len(splits) == count
    for s in splits:
        parts = [_subjects(fs, s.train), _subjects(fs, s.val), _subjects(fs, s.test)]
        assert all(parts)
        assert not (parts[0] & parts[1] or parts[0] & parts[2] or parts[1] & parts[2])
        assert len(s.train) + len(s.val) + len(s.test) == len(fs)
        assert "val: by subject only, unstratified (unlabelled samples)" in s.stratification
    assert fs.class_counts() == {}


@pytest.mark.filterwarnings("ignore:The least populated class")  # the rare class, on purpose
def test_the_split_records_whether_validation_is_stratified():
    fs = faceset()
    assert build_splits(fs, "kfold", k=5)[0].stratification == "val: stratified by label"
    assert build_splits(fs, "holdout")[0].stratification == \
        "test: stratified by label; val: stratified by label"
    rare = fs.subset(~((fs.labels.numpy() == 1) & (np.arange(len(fs)) > 10)))  # 3 of class b
    for split in build_splits(rare, "kfold", k=5):
        held_out = "s0" in set(rare.subjects[split.test])  # the subject with those 3
        assert split.stratification == (
            f"val: by subject only, unstratified (class b has {0 if held_out else 3} samples, "
            "fewer than the 10 stratified groups)")
