"""What the AU task trains and tunes with: BCE over known labels (255 = unknown masked)
and per-AU decision thresholds tuned on validation."""

from __future__ import annotations

import torch
from torch import nn

from ..metrics import au as au_metrics

THRESHOLD_GRID = torch.linspace(0.05, 0.95, 19)


class MaskedBCE(nn.Module):
    """BCE-with-logits over the known entries of uint8 targets (255 = unknown)."""

    def __init__(self, pos_weight: torch.Tensor | None = None):
        super().__init__()
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        known = targets != au_metrics.UNKNOWN
        weight = None if self.pos_weight is None else self.pos_weight.to(logits.device)
        loss = nn.functional.binary_cross_entropy_with_logits(
            logits.float(), (targets == 1).float(), pos_weight=weight, reduction="none")
        return (loss * known).sum() / known.sum().clamp_min(1)


def tune_thresholds(scores: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Per AU, the threshold of THRESHOLD_GRID with the best validation F1 (0.5 when no
    AU label is known)."""
    best = torch.full((scores.shape[1],), 0.5)
    best_f1 = torch.full((scores.shape[1],), -1.0)
    for threshold in THRESHOLD_GRID:
        f1 = au_metrics.per_au_f1(scores, targets, scores.shape[1], float(threshold))
        for j, value in enumerate(f1):
            if value is not None and value > best_f1[j]:
                best_f1[j], best[j] = value, float(threshold)
    return best
