"""Compute a task's registered metrics on test-set scores."""

from __future__ import annotations

import torch


def evaluate(registry, task: str, scores: torch.Tensor, targets: torch.Tensor,
             num_classes: int) -> dict:
    """Every metric registered for `task`, by name."""
    scores, targets = scores.float().cpu(), targets.long().cpu()
    return {spec.name: spec.fn()(scores, targets, num_classes)
            for spec in registry.find("metrics") if task in spec.tasks}
