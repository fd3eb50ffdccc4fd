"""Inference efficiency: latency (batch 1, median and p90) and throughput with
torch.utils.benchmark, parameters, FLOPs (torch.utils.flop_counter), peak CUDA memory."""

from __future__ import annotations

import numpy as np
import torch
from torch.utils import benchmark
from torch.utils.flop_counter import FlopCounterMode

from .device import precision_name

DEFAULT_MIN_RUN_TIME = 1.0  # seconds of measurement per batch size


def _measure(fn, x: torch.Tensor, min_run_time: float) -> benchmark.Measurement:
    timer = benchmark.Timer(stmt="fn(x)", globals={"fn": fn, "x": x},
                            num_threads=torch.get_num_threads())
    return timer.blocked_autorange(min_run_time=min_run_time)


def count_flops(module: torch.nn.Module, x: torch.Tensor) -> float | None:
    """Forward GFLOPs per image (a multiply-add counts as two FLOPs)."""
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        module(x)
    return counter.get_total_flops() / 1e9 / len(x)


def time_inference(method, shape: tuple[int, int, int], device: torch.device,
                   amp_dtype: torch.dtype | None, batch: int = 64,
                   min_run_time: float | None = None) -> dict:
    """Time `method.inference_module()` (or `method.predict` when it has none) on random
    uint8 images of `shape` (C, H, W) on `device`."""
    module = method.inference_module()
    fn = method.predict
    if module is not None:
        module.eval()

        def fn(x):
            with torch.no_grad(), torch.autocast(device.type, dtype=amp_dtype,
                                                 enabled=amp_dtype is not None):
                return module(x)

    min_run_time = min_run_time or DEFAULT_MIN_RUN_TIME
    gen = torch.Generator().manual_seed(0)
    one = torch.randint(0, 256, (1, *shape), dtype=torch.uint8, generator=gen).to(device)
    many = torch.randint(0, 256, (batch, *shape), dtype=torch.uint8, generator=gen).to(device)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    for _ in range(3):  # warm-up (cudnn autotuning, lazy init)
        fn(one)
        fn(many)
    single = _measure(fn, one, min_run_time)
    batched = _measure(fn, many, min_run_time)
    result = {
        "device": device.type,
        "precision": precision_name(amp_dtype),
        "latency_ms_median": single.median * 1e3,
        "latency_ms_p90": float(np.percentile(single.times, 90)) * 1e3,
        "throughput_ips": batch / batched.median,
        "throughput_batch": batch,
        "params": None, "gflops": None, "peak_memory_mb": None,
    }
    if module is not None:
        result["params"] = sum(p.numel() for p in module.parameters())
        result["gflops"] = count_flops(module, one)
    if device.type == "cuda":
        result["peak_memory_mb"] = torch.cuda.max_memory_allocated(device) / 2**20
    return result
