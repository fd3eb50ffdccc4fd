"""Optimizer, learning-rate schedule and loss from a recipe's hyper-parameters."""

from __future__ import annotations

import math

import torch
from torch import nn

from ..errors import UserError
from ..specs import resolve


def build_optimizer(params, hp: dict) -> torch.optim.Optimizer:
    """SGD (momentum), Adam or AdamW (betas) from `hp`."""
    lr, wd = hp["lr"], hp["weight_decay"]
    if hp["optimizer"] == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=hp["momentum"], weight_decay=wd)
    betas = tuple(hp.get("betas") or (0.9, 0.999))
    if hp["optimizer"] == "adam":
        return torch.optim.Adam(params, lr=lr, betas=betas, weight_decay=wd)
    return torch.optim.AdamW(params, lr=lr, betas=betas, weight_decay=wd)


def step_table_lr(table: list, epoch: int, scale: float) -> float:
    """The lr of a [[start_epoch, lr], ...] table at `epoch`, boundaries scaled by `scale`."""
    lr = table[0][1]
    for start, value in table:
        if epoch >= math.floor(start * scale):
            lr = value
    return lr


def epoch_lr_factor(hp: dict, total: int | None = None):
    """step -> multiplier of the base lr, for torch.optim.lr_scheduler.LambdaLR. Steps are
    epochs (total = hp["epochs"]) or iterations (total = all iterations of the run); the
    step table counts epochs only."""
    epochs, base, schedule = hp["epochs"], hp["lr"], hp["schedule"]
    total = total or epochs
    if schedule == "cosine":
        return lambda e: 0.5 * (1 + math.cos(math.pi * e / total))
    if schedule == "poly":  # (1 - t/T)^p, e.g. paper 000's per-iteration decay
        return lambda e: max(0.0, 1 - e / total) ** hp["poly_power"]
    if schedule == "step_table":
        table = sorted(hp["lr_table"])
        if not table:
            raise UserError("option schedule=step_table needs lr_table [[epoch, lr], ...]")
        scale = epochs / hp["lr_table_epochs"] if hp.get("lr_table_epochs") else 1.0
        return lambda e: step_table_lr(table, e, scale) / base
    return lambda e: 1.0


def build_loss(hp: dict) -> nn.Module:
    """'cross_entropy' (with label_smoothing) or a "module:attr" callable(logits, targets)."""
    name = hp["loss"]
    if name == "cross_entropy":
        return nn.CrossEntropyLoss(label_smoothing=hp["label_smoothing"])
    try:
        return resolve(name)
    except (ImportError, AttributeError, ValueError) as exc:
        raise UserError(f"option loss: expected cross_entropy or an importable "
                        f"'module:attr', got {name!r}") from exc
