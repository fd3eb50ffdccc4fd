"""68 landmarks of faces already in a uint8 image tensor (generated or cropped faces), for
the transfer task's landmark error and landmark images; NaN rows where no face is found."""

from __future__ import annotations

import numpy as np
import torch

from .detect import find_face
from .landmarks import predict_landmarks


def landmarks_of(images: torch.Tensor, detector: str = "hog", upsample: int = 2) -> torch.Tensor:
    """float32 (B, 68, 2) landmarks in the images' pixels; a face that is not detected
    gives a row of NaN (counted by the caller as a detection failure)."""
    gray = images.detach().cpu().float().mean(1).round().clamp(0, 255).to(torch.uint8).numpy()
    out = np.full((len(gray), 68, 2), np.nan, dtype=np.float32)
    for i, image in enumerate(gray):
        box = find_face(np.ascontiguousarray(image), detector, upsample)
        if box is not None:
            out[i] = predict_landmarks(image, box)
    return torch.from_numpy(out)
