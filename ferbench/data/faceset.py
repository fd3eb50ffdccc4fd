"""`FaceSet`: a whole dataset in memory as one uint8 image tensor plus per-sample labels."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import torch

from .info import DatasetInfo


@dataclass
class FaceSet:
    """N samples. `keys` identify samples stably (relative path, plus a frame or row index
    where needed) and feed the split manifest hash. Optional fields are None when absent."""

    info: DatasetInfo
    images: torch.Tensor  # uint8 (N, C, H, W)
    labels: torch.Tensor  # int64 (N,), index into info.class_names; -1 = no expression label
    subjects: np.ndarray  # str (N,)
    keys: np.ndarray  # str (N,)
    official_split: np.ndarray | None = None  # str (N,): "train" | "val" | "test"
    au_presence: torch.Tensor | None = None  # uint8 (N, A), columns follow info.au_codes:
    # 0 absent, 1 present, 255 unknown (masked out of losses and metrics)
    au_intensity: torch.Tensor | None = None  # float32 (N, A), 0..5 (FACS A..E), NaN unknown
    landmarks: torch.Tensor | None = None  # float32 (N, 68, 2), x, y in image pixels
    soft_labels: torch.Tensor | None = None  # float32 (N, K), rows sum to 1
    pair_keys: np.ndarray | None = None  # str (N,): same key = same person and pose
    official_fold: np.ndarray | None = None  # int64 (N,): the official fold, -1 = in none
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)

    def __post_init__(self) -> None:
        n = len(self.images)
        self.subjects = np.asarray(self.subjects, dtype=str)
        self.keys = np.asarray(self.keys, dtype=str)
        if self.official_fold is not None:
            self.official_fold = np.asarray(self.official_fold).astype(np.int64)
        if self.images.dtype != torch.uint8 or self.images.ndim != 4:
            raise ValueError("FaceSet.images must be a uint8 tensor (N, C, H, W)")
        for name in ("labels", "subjects", "keys", "official_split", "au_presence",
                     "au_intensity", "landmarks", "soft_labels", "pair_keys", "official_fold"):
            value = getattr(self, name)
            if value is not None and len(value) != n:
                raise ValueError(f"FaceSet.{name} has {len(value)} rows, images have {n}")

    def __len__(self) -> int:
        return len(self.images)

    def subset(self, index) -> FaceSet:
        """The samples at `index` (array of ints or booleans), sharing `info`."""
        idx = np.asarray(index)
        if idx.dtype == bool:
            idx = np.flatnonzero(idx)
        t = torch.as_tensor(idx, dtype=torch.long)

        def take(v):
            if v is None:
                return None
            return v[t] if isinstance(v, torch.Tensor) else v[idx]

        return replace(
            self, images=self.images[t], labels=self.labels[t], subjects=self.subjects[idx],
            keys=self.keys[idx], official_split=take(self.official_split),
            au_presence=take(self.au_presence), au_intensity=take(self.au_intensity),
            landmarks=take(self.landmarks), soft_labels=take(self.soft_labels),
            pair_keys=take(self.pair_keys), official_fold=take(self.official_fold), skipped=[])

    def class_counts(self) -> dict[str, int]:
        """Samples per class name (samples labelled -1, without an expression, not counted)."""
        labelled = self.labels[self.labels >= 0]
        counts = torch.bincount(labelled, minlength=self.info.num_classes).tolist()
        return dict(zip(self.info.class_names, counts, strict=True))
