"""The standard supervised loop: wraps a plain `nn.Module` (images -> logits) as a Method.

The best epoch is chosen on the validation split (accuracy, then loss); the test split is
never seen here.
"""

from __future__ import annotations

import copy
import time

import torch
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from torch import nn

from ..data.faceset import FaceSet
from ..data.transforms import Preprocess, dataset_stats
from ..method import Method
from .context import RunContext
from .optim import build_loss, build_optimizer, build_scheduler


class SupervisedMethod(Method):
    def __init__(self, network: nn.Module, hparams: dict, in_chans: int | None = None):
        self.network = network
        self.hparams = hparams
        self.in_chans = in_chans
        self.model: nn.Sequential | None = None  # Preprocess + network, set by fit
        self.device = torch.device("cpu")
        self.amp_dtype = None
        self.history: list[dict] = []
        self.best_epoch = -1

    def _compose(self, train: FaceSet) -> nn.Sequential:
        mean, std = dataset_stats(train.images)
        pre = Preprocess(self.hparams["normalize"], mean, std,
                         self.hparams.get("input_size"), self.in_chans)
        return nn.Sequential(pre, self.network)

    def fit(self, train: FaceSet, val: FaceSet, ctx: RunContext) -> None:
        self.device, self.amp_dtype = ctx.device, ctx.amp_dtype
        fmt = torch.channels_last if ctx.channels_last else torch.preserve_format
        self.model = self._compose(train).to(ctx.device, memory_format=fmt)
        optimizer = build_optimizer(self.model.parameters(), self.hparams)
        scheduler = build_scheduler(optimizer, self.hparams)
        loss_fn = build_loss(self.hparams)
        scaler = torch.amp.GradScaler(ctx.device.type,
                                      enabled=ctx.amp_dtype == torch.float16)
        loader = ctx.loader(train, train=True)
        best_key, best_state = None, None
        console = Console(stderr=True, quiet=ctx.quiet)
        columns = [TextColumn("{task.description}"), BarColumn(),
                   TextColumn("{task.completed}/{task.total}"), TimeRemainingColumn()]
        with Progress(*columns, console=console, transient=True) as progress:
            for epoch in range(ctx.epochs):
                start = time.perf_counter()
                task = progress.add_task(f"epoch {epoch + 1}/{ctx.epochs}", total=len(loader))
                self.model.train()
                total, count = 0.0, 0
                for images, labels in loader:
                    images = images.to(ctx.device, non_blocking=True, memory_format=fmt)
                    labels = labels.to(ctx.device, non_blocking=True)
                    with ctx.autocast():
                        loss = loss_fn(self.model(images), labels)
                    optimizer.zero_grad(set_to_none=True)
                    scaler.scale(loss).backward()
                    scaler.step(optimizer)
                    scaler.update()
                    total += loss.item() * len(labels)
                    count += len(labels)
                    progress.advance(task)
                progress.remove_task(task)
                lr = optimizer.param_groups[0]["lr"]
                scheduler.step()
                val_acc, val_loss = self._validate(val, ctx, loss_fn)
                record = {"epoch": epoch + 1, "train_loss": total / max(count, 1),
                          "val_accuracy": val_acc, "val_loss": val_loss, "lr": lr,
                          "seconds": time.perf_counter() - start}
                self.history.append(record)
                ctx.on_epoch_end(epoch + 1, record)
                if not console.is_terminal:
                    ctx.log(f"epoch {epoch + 1}/{ctx.epochs} loss {record['train_loss']:.4f} "
                            f"val_acc {val_acc:.4f} val_loss {val_loss:.4f} lr {lr:.2e}")
                key = (val_acc, -val_loss)
                if best_key is None or key > best_key:
                    best_key, self.best_epoch = key, epoch + 1
                    best_state = copy.deepcopy(self.model.state_dict())
        self.model.load_state_dict(best_state)
        torch.save(best_state, ctx.checkpoint_path())

    @torch.no_grad()
    def _validate(self, val: FaceSet, ctx: RunContext, loss_fn) -> tuple[float, float]:
        scores = self.predict(val.images)
        labels = val.labels.to(scores.device)
        loss = loss_fn(scores.float(), labels).item()
        return (scores.argmax(1) == labels).float().mean().item(), loss

    @torch.no_grad()
    def predict(self, images: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
        self.model.eval()
        out = []
        for start in range(0, len(images), batch_size):
            batch = images[start:start + batch_size].to(self.device)
            with torch.autocast(self.device.type, dtype=self.amp_dtype,
                                enabled=self.amp_dtype is not None):
                out.append(self.model(batch).float())
        return torch.cat(out)

    def inference_module(self) -> nn.Module:
        return self.model
