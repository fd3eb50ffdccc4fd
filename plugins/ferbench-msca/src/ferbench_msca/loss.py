"""The paper's loss (formula 4): negative cosine similarity between the one-hot target and
the predicted class distribution."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def cosine_similarity_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Batch mean of -(y_true . y_pred) / (|y_true| |y_pred|), formula 4.

    `y_pred` is the softmax of `logits` (the network ends in softmax, section 2.3), `y_true`
    the one-hot encoding of the int64 class indices `targets`. The loss lies in [-1, 0) and
    tends to -1 as the prediction approaches the correct one-hot vector.
    """
    y_pred = logits.float().softmax(dim=1)
    y_true = F.one_hot(targets, num_classes=logits.shape[1]).to(y_pred.dtype)
    return -F.cosine_similarity(y_true, y_pred, dim=1).mean()
