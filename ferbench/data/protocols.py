"""Train/val/test splits: official, holdout, kfold by subject, leave-one-subject-out.

Every split is subject-disjoint (asserted) and carries a manifest hash of its samples.
Samples without an expression label (-1, e.g. AU-only datasets) are split by subject
without stratification.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import GroupShuffleSplit, StratifiedGroupKFold

from ..errors import UserError
from .faceset import FaceSet

PROTOCOLS = ("official", "holdout", "kfold", "loso")


@dataclass(frozen=True)
class Split:
    protocol: str
    fold: int | None
    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    manifest: str  # sha256 of the sorted (part, key, label) lines
    # how each held-out part was drawn from subjects, e.g. "val: stratified by label"
    stratification: str = ""


def manifest_hash(faceset: FaceSet, parts: dict[str, np.ndarray]) -> str:
    """A hash of which sample (key and label) lies in which part."""
    labels = faceset.labels.numpy()
    lines = sorted(f"{part}\t{faceset.keys[i]}\t{labels[i]}"
                   for part, idx in parts.items() for i in idx)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]


def _check_disjoint(faceset: FaceSet, parts: dict[str, np.ndarray]) -> None:
    seen: dict[str, str] = {}
    for part, idx in parts.items():
        for subject in set(faceset.subjects[idx]):
            if subject in seen and seen[subject] != part:
                raise AssertionError(f"subject {subject} is in both {seen[subject]} and {part}")
            seen[subject] = part


def _labelled(faceset: FaceSet) -> bool:
    """Whether every sample has an expression label (stratification is possible)."""
    return faceset.info.num_classes > 0 and bool((faceset.labels >= 0).all())


def _group_holdout(faceset: FaceSet, pool: np.ndarray, fraction: float, seed: int):
    """Split `pool` into (rest, held, how) with about `fraction` of its subjects held out,
    stratified by label when every sample is labelled and every class has enough samples;
    `how` says which, and why not."""
    labels = faceset.labels.numpy()[pool]
    groups = faceset.subjects[pool]
    n_groups = len(set(groups))
    if n_groups < 2:
        raise UserError(f"dataset {faceset.info.name}: a subject-independent split needs "
                        f"at least 2 subjects, found {n_groups}")
    k = round(1 / fraction) if fraction > 0 else 0
    if not _labelled(faceset):
        why = "unlabelled samples"
    elif not 2 <= k <= n_groups:
        why = f"{n_groups} subjects for {k} stratified groups"
    elif np.bincount(labels).min(initial=k) < k:
        counts = np.bincount(labels)
        rare = int(np.argmin(counts))
        why = (f"class {faceset.info.class_names[rare]} has {counts[rare]} samples, fewer than "
               f"the {k} stratified groups")
    else:
        why = "no stratified split holds out a subject"
        try:
            rest, held = next(StratifiedGroupKFold(k, shuffle=True, random_state=seed)
                              .split(pool, labels, groups))
            if len(held):
                return pool[rest], pool[held], "stratified by label"
        except ValueError as exc:
            why = str(exc).splitlines()[0]
    rest, held = next(GroupShuffleSplit(1, test_size=fraction, random_state=seed)
                      .split(pool, labels, groups))
    return pool[rest], pool[held], f"by subject only, unstratified ({why})"


def _split(faceset: FaceSet, protocol: str, fold, train, val, test,
           how: dict[str, str]) -> Split:
    """`how`: held-out part -> how it was drawn (recorded in the run)."""
    parts = {"train": np.sort(train), "val": np.sort(val), "test": np.sort(test)}
    _check_disjoint(faceset, parts)
    return Split(protocol, fold, parts["train"], parts["val"], parts["test"],
                 manifest_hash(faceset, parts),
                 "; ".join(f"{part}: {text}" for part, text in how.items()))


def _official_folds(faceset: FaceSet, seed: int, val_fraction: float) -> list[Split]:
    """One split per official fold: test = that fold, train and val (by subject) from the
    other folds; samples in no fold (-1) are left out."""
    folds = faceset.official_fold
    present = sorted(set(folds[folds >= 0].tolist()))
    if len(present) < 2:
        raise UserError(f"dataset {faceset.info.name}: the official protocol needs samples of "
                        f"at least 2 official folds, found {len(present)}")
    out = []
    for fold in present:
        pool = np.flatnonzero((folds >= 0) & (folds != fold))
        train, val, how = _group_holdout(faceset, pool, val_fraction, seed + fold)
        out.append(_split(faceset, "official", fold, train, val, np.flatnonzero(folds == fold),
                          {"val": how}))
    return out


def build_splits(faceset: FaceSet, protocol: str, *, k: int = 10, seed: int = 0,
                 val_fraction: float = 0.1, test_fraction: float = 0.2) -> list[Split]:
    """All splits of `protocol`; kfold gives k, loso one per subject, official one per
    official fold where the dataset defines folds, the others one. Validation comes from
    the dataset's own val part or from training subjects."""
    if protocol not in PROTOCOLS:
        raise UserError(f"--protocol: expected one of {', '.join(PROTOCOLS)}, got '{protocol}'")
    everything = np.arange(len(faceset))
    if protocol == "official" and faceset.official_fold is not None:
        return _official_folds(faceset, seed, val_fraction)
    if protocol == "official":
        if faceset.official_split is None:
            raise UserError(f"dataset {faceset.info.name} defines no official split; "
                            "use --protocol holdout, kfold or loso")
        parts = {p: np.flatnonzero(faceset.official_split == p) for p in ("train", "val", "test")}
        if not len(parts["test"]):
            raise UserError(f"dataset {faceset.info.name}: its official split has no test part")
        train, val, how = parts["train"], parts["val"], "the dataset's official val part"
        if not len(val):
            train, val, how = _group_holdout(faceset, train, val_fraction, seed)
        return [_split(faceset, protocol, None, train, val, parts["test"], {"val": how})]
    if protocol == "holdout":
        pool, test, test_how = _group_holdout(faceset, everything, test_fraction, seed)
        train, val, how = _group_holdout(faceset, pool, val_fraction / (1 - test_fraction),
                                         seed + 1)
        return [_split(faceset, protocol, None, train, val, test,
                       {"test": test_how, "val": how})]
    labels, groups = faceset.labels.numpy(), faceset.subjects
    if protocol == "loso":
        folds = [(np.flatnonzero(groups != s), np.flatnonzero(groups == s))
                 for s in sorted(set(groups))]
    else:
        n_groups = len(set(groups))
        if not 2 <= k <= n_groups:
            raise UserError(f"--k: expected 2 to {n_groups} folds for "
                            f"{faceset.info.name} ({n_groups} subjects), got {k}")
        folds = list(StratifiedGroupKFold(k, shuffle=True, random_state=seed)
                     .split(everything, labels, groups))
    out = []
    for i, (pool, test) in enumerate(folds):
        train, val, how = _group_holdout(faceset, pool, val_fraction, seed + i)
        out.append(_split(faceset, protocol, i, train, val, test, {"val": how}))
    return out


def cross_split(faceset: FaceSet, pool: np.ndarray, test: np.ndarray, *, seed: int = 0,
                val_fraction: float = 0.1) -> Split:
    """Train/val by subject inside `pool` (dataset A), test on `test` (dataset B)."""
    train, val, how = _group_holdout(faceset, pool, val_fraction, seed)
    return _split(faceset, "cross", None, train, val, test, {"val": how})
