"""The generic training loop: a method gives `step(batch, iteration) -> losses`; the loop
gives epochs, progress with live losses, loss history and curves, lifecycle hooks,
per-epoch sample grids, best-epoch selection on a validation score, multi-module
checkpoints and resume after an interruption. The standard supervised loop is one use."""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import torch
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from torch import nn

from ..data.atomic import write_atomically
from ..results.curves import save_loss_curves, save_sample_grid
from .distributed import world
from .steppers import Stepper

SAMPLE_GRIDS = 20  # a stage's sample grids: about this many, evenly spaced over its epochs


@dataclass
class LoopResult:
    history: list[dict] = field(default_factory=list)
    best_epoch: int | None = None
    best_score: float | None = None
    resumed_from: int = 0  # epochs restored from an interrupted run's checkpoint


def _number(value) -> float:
    return float(value.detach().float().item()) if isinstance(value, torch.Tensor) else float(value)


def _batch_size(batch) -> int:
    if isinstance(batch, Mapping):
        batch = next(iter(batch.values()))
    return len(batch) if hasattr(batch, "__len__") else 1


def _draws_samples(epoch: int, epochs: int) -> bool:
    """Whether 0-based `epoch` of `epochs` gets a sample grid."""
    every = math.ceil(epochs / SAMPLE_GRIDS)
    return epoch == 0 or epoch + 1 == epochs or (epoch + 1) % every == 0


def _states(modules: Mapping[str, nn.Module]) -> dict:
    return {name: copy.deepcopy(module.state_dict()) for name, module in modules.items()}


def train_loop(ctx, data: Iterable, step: Callable[[object, int], Mapping], *, epochs: int,
               modules: Mapping[str, nn.Module], steppers: Mapping[str, Stepper] | None = None,
               validate: Callable[[], Mapping[str, float]] | None = None,
               select: str | None = None, samples: Callable[[], torch.Tensor] | None = None,
               stage: str = "", save_weights: bool = True) -> LoopResult:
    """Train `modules` for `epochs` epochs over `data` (an iterable of batches, re-iterated
    each epoch; a `Batches` object is checkpointed with its shuffling state).

    - `step(batch, iteration)` does the work and returns losses (floats or tensors);
      the loop averages them per epoch (weighted by batch size) into the history.
    - `steppers` get `end_epoch()` after each epoch and are checkpointed.
    - `validate()` returns validation scores after each epoch; with `select` naming one of
      them (higher is better, ties broken by a lower `val_loss`), the best epoch's weights
      are restored at the end and saved as `best[-stage].pt` in the artifacts.
    - `samples()` returns a uint8 (B, C, H, W) batch (a fixed noise or input batch) drawn
      as `samples[-stage]-eEEE.png` after the first and the last epoch and every
      ceil(epochs / 20)-th (every epoch up to 20 epochs).
    - `save_weights=False` skips best[-stage].pt (a stage kept by a cached stage instead).
    - Each epoch ends with a checkpoint in `ctx.resume_dir`; a rerun of the same config
      finds it and goes on from the next epoch.
    """
    steppers = dict(steppers or {})
    suffix = f"-{stage}" if stage else ""
    result = LoopResult()
    best_key, best_states = None, None
    resume_file = ctx.resume_file(stage)
    start_epoch = 0
    if resume_file is not None and resume_file.exists():
        state = torch.load(resume_file, map_location=ctx.device, weights_only=True)
        for name, module in modules.items():
            module.load_state_dict(state["modules"][name])
        for name, stepper in steppers.items():
            stepper.load_state_dict(state["steppers"][name])
        if hasattr(data, "load_state_dict") and state.get("data") is not None:
            data.load_state_dict(state["data"])
        torch.set_rng_state(state["rng"])
        result.history = list(state["history"])
        best_key = tuple(state["best_key"]) if state.get("best_key") else None
        best_states = state.get("best_states")
        result.best_epoch = state.get("best_epoch")
        start_epoch = result.resumed_from = int(state["epoch"])
        ctx.log(f"resuming{' ' + stage if stage else ''} from epoch {start_epoch} "
                f"({resume_file})")
    console = Console(stderr=True, quiet=ctx.quiet)
    columns = [TextColumn("{task.description}"), BarColumn(),
               TextColumn("{task.completed}/{task.total}"), TimeRemainingColumn(),
               TextColumn("{task.fields[losses]}")]
    iteration = start_epoch * len(data) if hasattr(data, "__len__") else 0
    with Progress(*columns, console=console, transient=True) as progress:
        for epoch in range(start_epoch, epochs):
            began = time.perf_counter()
            bar = progress.add_task(f"{stage + ' ' if stage else ''}epoch {epoch + 1}/{epochs}",
                                    total=len(data) if hasattr(data, "__len__") else None,
                                    losses="")
            for module in modules.values():
                module.train()
            sums: dict[str, torch.Tensor | float] = {}
            count = 0
            lr = next(iter(steppers.values())).lr if steppers else None
            for batch in data:
                losses = step(batch, iteration)
                n = _batch_size(batch)
                for key, value in losses.items():
                    value = value.detach().double() if isinstance(value, torch.Tensor) else value
                    sums[key] = sums.get(key, 0.0) + value * n
                count += n
                iteration += 1
                live = {} if iteration % 10 else {"losses": " ".join(  # .item() syncs a GPU
                    f"{k} {_number(v):.4f}" for k, v in losses.items())}
                progress.update(bar, advance=1, **live)
            progress.remove_task(bar)
            for stepper in steppers.values():
                stepper.end_epoch()
            record = {"epoch": epoch + 1, **{k: _number(v) / max(count, 1)
                                             for k, v in sums.items()}}
            for module in modules.values():
                module.eval()
            if validate is not None:
                with torch.no_grad():
                    record.update({k: _number(v) for k, v in validate().items()})
            if lr is not None:
                record["lr"] = lr
            record["seconds"] = time.perf_counter() - began
            if stage:
                record["stage"] = stage
            result.history.append(record)
            ctx.on_epoch_end(epoch + 1, record)
            if not console.is_terminal:
                ctx.log(" ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}"
                                 for k, v in record.items()))
            if select is not None:
                key = (record[select], -record.get("val_loss", 0.0))
                if best_key is None or key > best_key:
                    best_key, result.best_epoch = key, epoch + 1
                    best_states = _states(modules)
            if samples is not None and _draws_samples(epoch, epochs):
                with torch.no_grad():
                    save_sample_grid(samples(),
                                     ctx.artifacts / f"samples{suffix}-e{epoch + 1:03d}.png")
            if resume_file is not None and world().main:  # every rank resumes from rank 0's
                _checkpoint(resume_file, epoch + 1, modules, steppers, data, result, best_key,
                            best_states)
    if best_states is not None:
        for name, module in modules.items():
            module.load_state_dict(best_states[name])
        result.best_score = best_key[0]
    if save_weights:
        final = best_states if best_states is not None else _states(modules)
        torch.save(final, ctx.artifacts / f"best{suffix}.pt")
    if result.history:
        save_loss_curves(result.history, ctx.artifacts / f"loss{suffix}.png",
                         title=stage or "training")
    ctx.history[stage or "train"] = result.history
    ctx.extra.setdefault("best_epoch", {})[stage or "train"] = result.best_epoch
    if result.resumed_from:  # train_seconds then covers only the epochs after it
        ctx.extra.setdefault("resumed_from", {})[stage or "train"] = result.resumed_from
    return result


def _checkpoint(path: Path, epoch: int, modules, steppers, data, result: LoopResult,
                best_key, best_states) -> None:
    state = {"epoch": epoch, "modules": {n: m.state_dict() for n, m in modules.items()},
             "steppers": {n: s.state_dict() for n, s in steppers.items()},
             "data": data.state_dict() if hasattr(data, "state_dict") else None,
             "rng": torch.get_rng_state(), "history": result.history,
             "best_key": list(best_key) if best_key else None, "best_states": best_states,
             "best_epoch": result.best_epoch}
    write_atomically(path, lambda handle: torch.save(state, handle), "resume checkpoint")
