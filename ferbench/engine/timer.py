"""Inference efficiency with torch.utils.benchmark: latency percentiles over single
synchronised calls, throughput at a larger batch, parameters, FLOPs
(torch.utils.flop_counter), peak CUDA memory, and the machine's load around the timing."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch.utils import benchmark
from torch.utils.flop_counter import FlopCounterMode

from .device import precision_name
from .environment import contamination, load_snapshot

DEFAULT_MIN_RUN_TIME = 1.0  # seconds of throughput measurement
DEFAULT_CALLS = 200  # single calls behind the latency percentiles
WARMUP_CALLS = 3  # per batch size, before anything is timed (cudnn autotuning, lazy init)


def _timer(fn: Callable, x: torch.Tensor) -> benchmark.Timer:
    return benchmark.Timer(stmt="fn(x)", globals={"fn": fn, "x": x},
                           num_threads=torch.get_num_threads())


def single_call_seconds(fn: Callable, x: torch.Tensor, calls: int) -> list[float]:
    """Seconds of `calls` single calls `fn(x)`, each its own `Timer.timeit(1)`: synchronised
    on CUDA, and preceded by the two untimed calls that timeit runs first."""
    timer = _timer(fn, x)
    return [timer.timeit(1).times[0] for _ in range(calls)]


def count_flops(module: torch.nn.Module, x: torch.Tensor) -> float:
    """Forward GFLOPs per image (a multiply-add counts as two FLOPs)."""
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        module(x)
    return counter.get_total_flops() / 1e9 / len(x)


def time_callable(fn: Callable, shape: tuple[int, int, int], device: torch.device,
                  batch: int = 64, min_run_time: float | None = None,
                  calls: int | None = None, latency_batch: int = 1) -> dict:
    """Latency percentiles of `calls` single calls of `fn` at `latency_batch`, throughput
    (blocked_autorange median) at `batch`, on random uint8 images of `shape` (C, H, W), with
    load snapshots before and after and the `contaminated` verdict."""
    calls = calls or DEFAULT_CALLS
    min_run_time = min_run_time or DEFAULT_MIN_RUN_TIME
    gen = torch.Generator().manual_seed(0)
    one = torch.randint(0, 256, (latency_batch, *shape), dtype=torch.uint8, generator=gen)
    many = torch.randint(0, 256, (batch, *shape), dtype=torch.uint8, generator=gen)
    one, many = one.to(device), many.to(device)
    threads = torch.get_num_threads()
    before = load_snapshot()
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    for _ in range(WARMUP_CALLS):
        fn(one)
        fn(many)
    times = np.asarray(single_call_seconds(fn, one, calls)) * 1e3
    batched = _timer(fn, many).blocked_autorange(min_run_time=min_run_time)
    after = load_snapshot()
    p50, p90, p99 = np.percentile(times, [50, 90, 99])
    reason = contamination([before, after], threads)
    return {
        "device": device.type, "threads": threads, "latency_batch": latency_batch,
        "n_calls": len(times), "latency_ms_p50": float(p50), "latency_ms_p90": float(p90),
        "latency_ms_p99": float(p99),
        "latency_ms_median": float(p50),  # the name the leaderboard reads
        "throughput_ips": batch / batched.median, "throughput_batch": batch,
        "peak_memory_mb": (torch.cuda.max_memory_allocated(device) / 2**20
                           if device.type == "cuda" else None),
        "load_before": before, "load_after": after,
        "contaminated": reason is not None, "contaminated_reason": reason,
    }


def time_module(module: torch.nn.Module, shape: tuple[int, int, int], device: torch.device,
                amp_dtype: torch.dtype | None, **options) -> dict:
    """`time_callable` of `module` in eval mode under no_grad (and autocast with `amp_dtype`),
    plus its precision, parameter count and GFLOPs per image."""
    module.eval()

    def forward(x: torch.Tensor) -> torch.Tensor:
        with torch.no_grad(), torch.autocast(device.type, dtype=amp_dtype,
                                             enabled=amp_dtype is not None):
            return module(x)

    result = time_callable(forward, shape, device, **options)
    probe = torch.zeros((1, *shape), dtype=torch.uint8, device=device)
    result.update({"precision": precision_name(amp_dtype),
                   "params": sum(p.numel() for p in module.parameters()),
                   "gflops": count_flops(module, probe)})
    return result


def time_inference(method, shape: tuple[int, int, int], device: torch.device,
                   amp_dtype: torch.dtype | None, batch: int = 64,
                   min_run_time: float | None = None, calls: int | None = None) -> dict:
    """Time `method.inference_module()` (or `method.predict` when it has none) on random
    uint8 images of `shape` (C, H, W) on `device`."""
    options = {"batch": batch, "min_run_time": min_run_time, "calls": calls}
    module = method.inference_module()
    if module is not None:
        return time_module(module, shape, device, amp_dtype, **options)
    result = time_callable(method.predict, shape, device, **options)
    result.update({"precision": precision_name(amp_dtype), "params": None, "gflops": None})
    return result
