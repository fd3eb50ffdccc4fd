"""The data side of the transfer task: landmarks (detected when a dataset has none),
landmark images, and the tensors of a triple batch."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch
from skimage.transform import SimilarityTransform

from ..data.face.image_landmarks import landmarks_of
from ..data.faceset import FaceSet
from ..data.landmark_image import draw_landmarks
from ..data.triples import Triples


def with_landmarks(faceset: FaceSet) -> FaceSet:
    """The FaceSet with 68 landmarks, detected (dlib) when the dataset has none."""
    if faceset.landmarks is not None:
        return faceset
    return replace(faceset, landmarks=landmarks_of(faceset.images))


def landmark_images(faceset: FaceSet) -> torch.Tensor:
    """uint8 (N, 1, H, W) drawings of each sample's landmarks (blank where unknown)."""
    return draw_landmarks(faceset.landmarks, faceset.images.shape[-1], channels=1)


# iBUG-68 points that an expression barely moves: nose bridge, nose tip, nostril wings and
# the outer and inner eye corners; a similarity fitted on them maps one face onto another
RIGID_POINTS = (27, 28, 29, 30, 31, 35, 36, 39, 42, 45)


def aligned_landmarks(source: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Each source face's 68 landmarks mapped onto its target face by the similarity
    transform (rotation, uniform scale, translation; least squares, Umeyama) that best maps
    the source's RIGID_POINTS onto the target's: the source's expression in the target's
    pose and place. (B, 68, 2) float32; NaN rows where either face has no landmarks."""
    src, dst = source.double().numpy(), target.double().numpy()
    out = np.full(src.shape, np.nan)
    rigid = list(RIGID_POINTS)
    for i, (s, d) in enumerate(zip(src, dst, strict=True)):
        if np.isnan(s).any() or np.isnan(d).any():
            continue
        transform = SimilarityTransform.from_estimate(s[rigid], d[rigid])
        if transform:  # a failed estimation (degenerate points) is falsy
            out[i] = transform(s)
    return torch.from_numpy(out).float()


def triple_fields(faceset: FaceSet, triples: Triples, drawn: torch.Tensor | None = None
                  ) -> dict[str, torch.Tensor]:
    """The tensors of a transfer batch, one row per triple: source, target, truth (uint8
    images), their landmark images (uint8, 1 channel; `aligned_landmark_image` draws the
    source's landmarks aligned onto the target, see `aligned_landmarks`), landmarks (float,
    NaN unknown) and the source and target expression labels."""
    drawn = landmark_images(faceset) if drawn is None else drawn
    truth, truth_landmarks = triples.truth_of(faceset)
    size = faceset.images.shape[-1]
    fields = {
        "source": faceset.images[triples.source], "target": faceset.images[triples.target],
        "truth": truth,
        "source_landmark_image": drawn[triples.source],
        "target_landmark_image": drawn[triples.target],
        "truth_landmark_image": draw_landmarks(truth_landmarks, size, channels=1)
        if truth_landmarks is not None else drawn[triples.truth],
        "source_label": faceset.labels[triples.source],
        "target_label": faceset.labels[triples.target]}
    if faceset.landmarks is not None:
        fields["source_landmarks"] = faceset.landmarks[triples.source]
        fields["target_landmarks"] = faceset.landmarks[triples.target]
        aligned = aligned_landmarks(fields["source_landmarks"], fields["target_landmarks"])
        fields["aligned_landmark_image"] = draw_landmarks(aligned, size, channels=1)
    else:
        fields["aligned_landmark_image"] = torch.zeros_like(fields["source_landmark_image"])
    return fields


IMAGE_FIELDS = ("source", "target", "truth", "source_landmark_image", "target_landmark_image",
                "truth_landmark_image", "aligned_landmark_image")
