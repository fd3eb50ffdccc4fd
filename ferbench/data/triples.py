"""Expression-transfer triples built inside one split part: source (the expression donor),
target (the identity) and truth (the target's person and pose showing the source's
expression).

The truth comes from the dataset's pair keys (same key = same person and pose): the first
sample, by key, of the target's pair key with the source's label. A dataset that renders
exact truths names its renderer in `info.extra["render_truth"]` ("module:attr", called as
`render(faceset, source, target) -> (uint8 images, landmarks)`); synthfer does, and its
truth then wears exactly the source's action units."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..errors import UserError
from ..specs import resolve
from .faceset import FaceSet


@dataclass(frozen=True)
class Triples:
    """M triples; `source` and `target` are int64 indices into the FaceSet. The truth is
    either `truth` (indices of dataset samples) or, for rendered truths, `truth_images`
    uint8 (M, C, H, W) and `truth_landmarks` float32 (M, 68, 2) with `truth` None."""

    source: np.ndarray
    target: np.ndarray
    truth: np.ndarray | None
    truth_images: torch.Tensor | None = None
    truth_landmarks: torch.Tensor | None = None

    def __len__(self) -> int:
        return len(self.target)

    def truth_of(self, faceset: FaceSet) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Truth images and landmarks (None when the dataset has no landmarks)."""
        if self.truth is None:
            return self.truth_images, self.truth_landmarks
        at = torch.as_tensor(self.truth)
        return faceset.images[at], None if faceset.landmarks is None else faceset.landmarks[at]


def _truth_table(groups: np.ndarray, labels: np.ndarray, keys: np.ndarray,
                 num_classes: int) -> np.ndarray:
    """(pair-key group, label) -> position of the first sample by key, -1 where none."""
    table = np.full((groups.max() + 1, num_classes), -1, dtype=np.int64)
    for j in np.argsort(keys, kind="stable")[::-1].tolist():
        table[groups[j], labels[j]] = j
    return table


def _no_triple(faceset: FaceSet, n: int, subjects: np.ndarray, labels: np.ndarray,
               groups: np.ndarray | None) -> UserError:
    """Why a part of `n` samples yields no triple."""
    if len(set(labels.tolist())) < 2:
        why = "every sample shows the same expression"
    elif groups is not None and not any(len(set(labels[groups == g].tolist())) > 1
                                        for g in set(groups.tolist())):
        why = "no person shows two expressions in one pose (pair key)"
    else:
        why = ("no target's pair key (same person and pose) holds the expression of a source "
               "of another subject")
    return UserError(f"dataset {faceset.info.name}: no transfer triple in a part of {n} "
                     f"samples and {len(set(subjects.tolist()))} subjects: {why}")


def build_triples(faceset: FaceSet, index, *, per_target: int = 1, seed: int = 0,
                  exclude_same_label: bool = True) -> Triples:
    """Up to `per_target` triples per target sample of `index` (one split part), sources
    drawn with a numpy Generator seeded by `seed` from the part's samples of other subjects
    (and other labels, with `exclude_same_label`) whose expression the target's person shows
    in the target's pose; rendered truths where the dataset has a renderer. Samples without
    an expression label (-1) take no part."""
    name = faceset.info.name
    if isinstance(per_target, bool) or not isinstance(per_target, int | np.integer) \
            or per_target < 1:
        raise UserError(f"transfer triples: per_target must be an integer of at least 1, "
                        f"got {per_target!r}")
    renderer = faceset.info.extra.get("render_truth")
    if renderer is None and faceset.pair_keys is None:
        raise UserError(f"dataset {name} has no pair keys (same person and pose), so it has no "
                        "transfer truths; use a dataset whose task list includes transfer")
    part = np.asarray(index)
    part = np.unique(np.flatnonzero(part) if part.dtype == bool else part.astype(np.int64))
    part = part[faceset.labels.numpy()[part] >= 0]
    if not len(part):
        raise UserError(f"dataset {name}: transfer triples need samples with an expression "
                        "label, the part has none")
    labels = faceset.labels.numpy()[part]
    subjects = np.unique(faceset.subjects[part], return_inverse=True)[1]
    if subjects.max() == 0:
        raise UserError(f"dataset {name}: transfer needs an expression donor of another "
                        f"person, but the part holds one subject ({faceset.subjects[part[0]]})")
    groups = table = None
    if renderer is None:
        groups = np.unique(faceset.pair_keys[part], return_inverse=True)[1]
        table = _truth_table(groups, labels, faceset.keys[part], faceset.info.num_classes)
    rng = np.random.default_rng(seed)
    sources, targets, truths = [], [], []
    for t in range(len(part)):
        ok = subjects != subjects[t]
        if exclude_same_label:
            ok &= labels != labels[t]
        if table is not None:
            ok &= table[groups[t], labels] >= 0
        candidates = np.flatnonzero(ok)
        if not len(candidates):
            continue
        chosen = np.sort(rng.choice(candidates, min(per_target, len(candidates)),
                                    replace=False))
        sources.append(chosen)
        targets.append(np.full(len(chosen), t))
        if table is not None:
            truths.append(table[groups[t], labels[chosen]])
    if not sources:
        raise _no_triple(faceset, len(part), subjects, labels, groups)
    source, target = part[np.concatenate(sources)], part[np.concatenate(targets)]
    if table is not None:
        return Triples(source, target, part[np.concatenate(truths)])
    images, landmarks = resolve(renderer)(faceset, source, target)
    return Triples(source, target, None, images, landmarks)


def _members(triples: Triples) -> np.ndarray:
    parts = [triples.source, triples.target]
    return np.concatenate(parts if triples.truth is None else [*parts, triples.truth])


def triple_counts(faceset: FaceSet, triples: Triples) -> dict[str, int]:
    """Numbers for the run record: triples, distinct targets, distinct identities."""
    return {"triples": len(triples), "targets": len(np.unique(triples.target)),
            "identities": len(np.unique(faceset.subjects[_members(triples)]))}


def assert_identity_disjoint(faceset: FaceSet, parts: dict[str, Triples]) -> None:
    """AssertionError when one subject appears in the triples of two parts."""
    seen: dict[str, str] = {}
    for part, triples in parts.items():
        for subject in np.unique(faceset.subjects[_members(triples)]).tolist():
            if seen.setdefault(subject, part) != part:
                raise AssertionError(f"subject {subject} is in the transfer triples of both "
                                     f"{seen[subject]} and {part}")
