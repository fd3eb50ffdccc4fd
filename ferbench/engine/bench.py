"""`ferbench bench`: time a model alone (no data, no training) as the runner would run it,
and record the result beside the runs. Keys carry their units, as timm's benchmark.py."""

from __future__ import annotations

import json
import time
from pathlib import Path

import torch
from torch import nn

from .. import __version__
from ..config import parse_assignments, resolve_hparams
from ..data.info import DatasetInfo
from ..data.transforms import Preprocess
from ..errors import UserError
from ..results.bench_store import bench_csv, save_bench
from .device import autocast_dtype, configure_backends, select_device
from .environment import cpu_name, device_name
from .runner import build_method
from .supervised import SupervisedMethod, materialize_lazy
from .timer import time_module


def parse_input(text: str) -> tuple[int, int, int]:
    """'1x48x48' -> (1, 48, 48); UserError naming --input otherwise."""
    try:
        shape = tuple(int(part) for part in text.lower().split("x"))
    except ValueError:
        shape = ()
    if len(shape) != 3 or min(shape) < 1 or shape[1] != shape[2]:
        raise UserError(f"--input: expected CxSxS (channels x height x width, height = "
                        f"width), e.g. 1x48x48, got '{text}'")
    return shape


def parse_batches(text: str) -> tuple[int, int]:
    """'1,64' -> (latency batch, throughput batch); UserError naming --batch otherwise."""
    try:
        batches = tuple(int(part) for part in text.split(","))
    except ValueError:
        batches = ()
    if len(batches) != 2 or min(batches) < 1:
        raise UserError(f"--batch: expected LATENCY,THROUGHPUT batch sizes as two positive "
                        f"integers, e.g. 1,64, got '{text}'")
    return batches


def parse_model_options(options: list[str]) -> dict:
    """`-o model.NAME=VALUE` strings -> {NAME: value}; UserError for any other key."""
    out = {}
    for key, value in parse_assignments(options).items():
        if not key.startswith("model.") or key == "model.":
            raise UserError(f"-o {key}: ferbench bench takes model.<name>=VALUE options only")
        out[key.removeprefix("model.")] = value
    return out


def inference_module(spec, model_options: dict, info: DatasetInfo, hparams: dict,
                     task) -> nn.Module:
    """What the runner times for the model of `spec`: Preprocess + network for a plain
    nn.Module, the Method's `inference_module()` otherwise."""
    method = build_method(spec, info, hparams, model_options, task)
    if isinstance(method, SupervisedMethod):
        pre = Preprocess(hparams["normalize"], size=hparams["input_size"],
                         in_chans=info.in_chans)
        return nn.Sequential(pre, method.network)
    module = method.inference_module()
    if module is None:
        raise UserError(f"model {spec.name}: has no inference module before training; time "
                        "it with `ferbench run`, which records timing after fitting")
    return module


def bench_model(registry, model: str, model_options: dict, input_shape: tuple[int, int, int],
                batches: tuple[int, int] = (1, 64), threads: int | None = None,
                device: str = "auto", classes: int = 7) -> dict:
    """Time `model` as the runner builds and times it (the spec's default recipe), for its
    first task with `classes` outputs (classes or AUs), on uint8 inputs of `input_shape`, at
    batches (latency, throughput), on `threads` CPU threads."""
    if threads is not None and threads < 1:
        raise UserError(f"--threads: expected a positive integer, got {threads}")
    spec = registry.get("models", model)
    hparams = resolve_hparams(spec.defaults, {}, spec.hparams)
    task = registry.task(spec.tasks[0])
    where = select_device(device)
    channels, size, _ = input_shape
    info = task.model_info(DatasetInfo(
        "bench", tuple(f"class{i}" for i in range(classes)), au_codes=tuple(range(1, classes + 1)),
        in_chans=hparams["in_chans"] or channels, image_size=hparams["input_size"] or size))
    before = torch.get_num_threads()
    try:
        if threads is not None:
            torch.set_num_threads(threads)
        configure_backends(where)
        module = inference_module(spec, model_options, info, hparams, task)
        materialize_lazy(module, torch.zeros((2, *input_shape), dtype=torch.uint8))
        fmt = torch.channels_last if where.type == "cuda" and hparams["channels_last"] \
            else torch.preserve_format
        module = module.to(where, memory_format=fmt)
        timing = time_module(module, input_shape, where, autocast_dtype(where, hparams["amp"]),
                             batch=batches[1], latency_batch=batches[0])
    finally:
        torch.set_num_threads(before)
    return {"created": time.time(), "model": model, "model_options": dict(model_options),
            "task": task.name, "input": "x".join(map(str, input_shape)),
            "batches": list(batches), "classes": classes, "plugin": spec.plugin,
            "plugin_version": spec.version, "hardware": device_name(where), "cpu": cpu_name(),
            "torch": torch.__version__, "ferbench": __version__, **timing}


def _summary(record: dict, bench_id: int, db_path: Path) -> str:
    from tabulate import tabulate
    row = [record["model"], record["input"], record["threads"], record["precision"],
           record["latency_ms_p50"], record["latency_ms_p90"], record["latency_ms_p99"],
           record["throughput_ips"], record["params"], record["gflops"]]
    headers = ["model", "input", "threads", "precision", f"p50 ms (b={record['latency_batch']})",
               "p90 ms", "p99 ms", f"img/s (b={record['throughput_batch']})", "params",
               "GFLOPs"]
    before, after = record["load_before"], record["load_after"]
    lines = [tabulate([row], headers=headers, floatfmt=".3g", intfmt=","), "",
             f"{record['hardware']} ({record['device']}), torch {record['torch']}, "
             f"{record['n_calls']} single calls; 1-min load {before['loadavg_1m']:.2f} before, "
             f"{after['loadavg_1m']:.2f} after"]
    if record["model_options"]:
        lines.append(f"model options: {json.dumps(record['model_options'], sort_keys=True)}")
    if record["contaminated"]:
        lines.append(f"contaminated: {record['contaminated_reason']}")
    lines.append(f"recorded as bench {bench_id} in {db_path}")
    return "\n".join(lines)


def run_bench_command(registry, db_path: str | Path, model: str, options: list[str],
                      input: str, batch: str, threads: int | None, device: str,
                      as_json: bool, csv: bool) -> str:
    """The body of `ferbench bench`: time, record in the store at `db_path`, and return the
    text to print (a table, JSON with --json, CSV with --csv)."""
    if as_json and csv:
        raise UserError("--json and --csv: choose one output format")
    shape, batches = parse_input(input), parse_batches(batch)
    model_options = parse_model_options(options)
    record = bench_model(registry, model, model_options, shape, batches, threads, device)
    bench_id = save_bench(db_path, record)
    if as_json:
        return json.dumps({"id": bench_id, **record}, indent=2)
    if csv:
        return bench_csv([{"id": bench_id, **record}])
    return _summary(record, bench_id, Path(db_path))
