"""The data side of the transfer task: landmarks (detected when a dataset has none),
landmark images, and the tensors of a triple batch."""

from __future__ import annotations

from dataclasses import replace

import torch

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


def triple_fields(faceset: FaceSet, triples: Triples, drawn: torch.Tensor | None = None
                  ) -> dict[str, torch.Tensor]:
    """The tensors of a transfer batch, one row per triple: source, target, truth (uint8
    images), their landmark images (uint8, 1 channel), landmarks (float, NaN unknown) and
    the source and target expression labels."""
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
    return fields


IMAGE_FIELDS = ("source", "target", "truth", "source_landmark_image", "target_landmark_image",
                "truth_landmark_image")
