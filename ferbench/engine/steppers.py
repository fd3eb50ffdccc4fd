"""Optimizer steppers: an optimizer, its learning-rate schedule (per epoch or per
iteration) and a GradScaler, stepped as one. A GAN gets one per network (G and D)."""

from __future__ import annotations

import torch

from ..errors import UserError
from .optim import build_optimizer, epoch_lr_factor


class Stepper:
    """`step(loss)` runs backward, the (scaled) optimizer step and, for a per-iteration
    schedule, the scheduler; `end_epoch()` steps a per-epoch schedule.

    `hp` holds optimizer, lr, weight_decay, momentum, betas, schedule, poly_power, lr_table,
    lr_table_epochs and epochs (a recipe); `per` is "epoch" or "iteration" and
    `iterations` the iterations of one epoch (needed for a per-iteration schedule)."""

    def __init__(self, params, hp: dict, *, per: str = "epoch", iterations: int = 1,
                 fp16: bool = False, device_type: str = "cpu", clip: float | None = None):
        if per not in ("epoch", "iteration"):
            raise ValueError(f"Stepper per={per!r}: expected 'epoch' or 'iteration'")
        if per == "iteration" and hp["schedule"] == "step_table":
            raise UserError("option schedule=step_table: its table counts epochs; expected a "
                            "per-epoch stepper (or schedule cosine, poly or constant)")
        self.params = [p for p in params if p.requires_grad]
        self.optimizer = build_optimizer(self.params, hp)
        self.per, self.clip = per, clip
        total = hp["epochs"] * max(1, iterations) if per == "iteration" else hp["epochs"]
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer,
                                                           epoch_lr_factor(hp, total))
        self.scaler = torch.amp.GradScaler(device_type, enabled=fp16)

    @property
    def lr(self) -> float:
        return self.optimizer.param_groups[0]["lr"]

    def step(self, loss: torch.Tensor, retain_graph: bool = False) -> None:
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward(retain_graph=retain_graph)
        if self.clip:
            self.scaler.unscale_(self.optimizer)
            torch.nn.utils.clip_grad_norm_(self.params, self.clip)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        if self.per == "iteration":
            self.scheduler.step()

    def end_epoch(self) -> None:
        if self.per == "epoch":
            self.scheduler.step()

    def state_dict(self) -> dict:
        return {"optimizer": self.optimizer.state_dict(),
                "scheduler": self.scheduler.state_dict(), "scaler": self.scaler.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.scaler.load_state_dict(state["scaler"])
