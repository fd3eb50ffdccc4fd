"""Cross-dataset protocol: train on dataset A, test on dataset B, classes matched by name.

Every loader names its classes in ferbench's canonical vocabulary (anger, contempt, disgust,
fear, happy, neutral, sadness, surprise), which is the declared mapping between datasets.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

import numpy as np
import torch

from ..errors import UserError
from .faceset import FaceSet


def restrict_classes(faceset: FaceSet, classes: tuple[str, ...]) -> FaceSet:
    """Keep only samples of `classes` and relabel them in that order."""
    names = faceset.info.class_names
    lookup = torch.full((len(names),), -1, dtype=torch.long)
    for new, name in enumerate(classes):
        lookup[names.index(name)] = new
    keep = (lookup[faceset.labels] >= 0).numpy()
    kept = faceset.subset(keep)
    soft = None
    if kept.soft_labels is not None:
        soft = kept.soft_labels[:, [names.index(c) for c in classes]]
        soft = soft / soft.sum(1, keepdim=True).clamp_min(1e-8)
    info = replace(faceset.info, class_names=classes)
    return replace(kept, info=info, labels=lookup[kept.labels], soft_labels=soft)


def align_classes(train: FaceSet, test: FaceSet) -> tuple[FaceSet, FaceSet, list[str]]:
    """Both sets restricted to their shared classes (in the training set's order), and the
    class names dropped from either side."""
    shared = tuple(c for c in train.info.class_names if c in test.info.class_names)
    if len(shared) < 2:
        raise UserError(f"cross-dataset {train.info.name} -> {test.info.name}: fewer than two "
                        f"shared class names ({', '.join(shared) or 'none'})")
    dropped = sorted(set(train.info.class_names) ^ set(test.info.class_names))
    return restrict_classes(train, shared), restrict_classes(test, shared), dropped


def image_hashes(faceset: FaceSet) -> list[str]:
    """SHA-1 of each decoded image's bytes (shape included)."""
    shape = str(tuple(faceset.images.shape[1:])).encode()
    return [hashlib.sha1(shape + image.contiguous().numpy().tobytes()).hexdigest()
            for image in faceset.images]


def drop_duplicates(train: FaceSet, test: FaceSet) -> tuple[FaceSet, int]:
    """The test set without the images that also lie in the training set, pixel for pixel
    (FER2013 and FER+ share their images; so may two crops of one database), and how many
    were dropped. A test set left empty is a UserError."""
    seen = set(image_hashes(train))
    keep = np.array([h not in seen for h in image_hashes(test)], dtype=bool)
    if not keep.any():
        raise UserError(f"cross-dataset {train.info.name} -> {test.info.name}: every test "
                        "image is also a training image; expected two different datasets")
    return (test if keep.all() else test.subset(keep)), int((~keep).sum())


def combine(train: FaceSet, test: FaceSet) -> tuple[FaceSet, np.ndarray, np.ndarray]:
    """One FaceSet holding both (subjects and pair keys prefixed by dataset; AU labels,
    landmarks and pair keys kept where both have them), with the index ranges of each."""
    n = len(train)
    if train.images.shape[1:] != test.images.shape[1:]:
        raise UserError(f"cross-dataset: image shapes differ ({tuple(train.images.shape[1:])} "
                        f"vs {tuple(test.images.shape[1:])}); set the same data.image_size "
                        "and data.channels")
    info = replace(train.info, name=f"{train.info.name}->{test.info.name}")

    def both(field: str):
        a, b = getattr(train, field), getattr(test, field)
        if a is None or b is None or a.shape[1:] != b.shape[1:]:
            return None
        return torch.cat([a, b]) if isinstance(a, torch.Tensor) else np.concatenate([
            np.char.add(f"{train.info.name}:", a), np.char.add(f"{test.info.name}:", b)])

    merged = FaceSet(
        info=info, images=torch.cat([train.images, test.images]),
        labels=torch.cat([train.labels, test.labels]),
        subjects=np.concatenate([np.char.add(f"{train.info.name}:", train.subjects),
                                 np.char.add(f"{test.info.name}:", test.subjects)]),
        keys=np.concatenate([np.char.add(f"{train.info.name}:", train.keys),
                             np.char.add(f"{test.info.name}:", test.keys)]),
        au_presence=both("au_presence"), au_intensity=both("au_intensity"),
        landmarks=both("landmarks"), pair_keys=both("pair_keys"))
    return merged, np.arange(n), np.arange(n, n + len(test))
