"""How honest is ferbench's timing? On one CPU thread at 1x48x48:

- ferbench's batch-1 p50 (single `Timer.timeit(1)` calls of Preprocess + network, as the
  runner times it) against a direct `torch.utils.benchmark.Timer(...).blocked_autorange()`
  median of the bare resnet18 network on a float input (goal: within 5 %);
- p50/p90/p99 of resnet18, msca-resnet (defaults) and the narrow msca-resnet build.

Numbers go to extra_info (see --benchmark-json). A timing taken while the machine was busy
is flagged in extra_info["contaminated"].
Run: .venv/bin/pytest benchmarks/test_timing_accuracy.py --benchmark-json=timing.json"""

import pytest
import torch
from torch.utils import benchmark as torch_benchmark

from ferbench.data.info import DatasetInfo
from ferbench.engine.bench import bench_model
from ferbench.plugins import load_registry

INPUT = (1, 48, 48)
MODELS = {
    "resnet18": ("resnet18", {}),
    "msca-resnet": ("msca-resnet", {}),
    "msca-resnet-narrow": ("msca-resnet", {"widths": [32, 64, 128], "stem_width": 32}),
}
ROUNDS = 3
KEYS = ("latency_ms_p50", "latency_ms_p90", "latency_ms_p99", "throughput_ips", "params",
        "gflops", "n_calls", "contaminated", "contaminated_reason")


@pytest.fixture(scope="module")
def registry():
    return load_registry()


def _bare_median_ms(network: torch.nn.Module) -> float:
    network.eval()
    x = torch.rand(1, *INPUT)

    def call(x):
        with torch.no_grad():
            return network(x)

    timer = torch_benchmark.Timer("call(x)", globals={"call": call, "x": x}, num_threads=1)
    return timer.blocked_autorange(min_run_time=3.0).median * 1e3


def test_p50_against_blocked_autorange_of_the_bare_network(benchmark, registry):
    """Bare medians bracket each ferbench run (bare, ferbench, bare, ferbench, ... bare), so
    that drifting load on a shared machine hits both sides of each ratio alike."""
    info = registry.task("expression").model_info(DatasetInfo("bench", tuple("abcdefg")))
    network = registry.get("models", "resnet18").builder()(info)
    bare, records = [_bare_median_ms(network)], []

    def pair():
        records.append(bench_model(registry, "resnet18", {}, INPUT, threads=1, device="cpu"))
        bare.append(_bare_median_ms(network))

    benchmark.pedantic(pair, rounds=ROUNDS)
    ratios = [r["latency_ms_p50"] / ((a + b) / 2)
              for r, a, b in zip(records, bare, bare[1:], strict=False)]
    benchmark.extra_info.update({
        "p50_ms": [r["latency_ms_p50"] for r in records], "bare_median_ms": bare,
        "p50_over_bare": ratios, "median_ratio": sorted(ratios)[len(ratios) // 2],
        "contaminated": [r["contaminated_reason"] for r in records]})
    assert all(r["n_calls"] >= 200 for r in records)


@pytest.mark.parametrize("name", MODELS)
def test_latency_percentiles(benchmark, registry, name):
    model, options = MODELS[name]
    record = benchmark.pedantic(bench_model, args=(registry, model, options, INPUT),
                                kwargs={"threads": 1, "device": "cpu"}, rounds=1)
    benchmark.extra_info.update({key: record[key] for key in KEYS})
    assert record["latency_ms_p50"] <= record["latency_ms_p90"] <= record["latency_ms_p99"]
