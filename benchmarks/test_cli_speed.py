"""Wall time of `ferbench list models` and `ferbench plugins` (they must not import torch;
target: under 1 s on a 2-core machine). Run: make bench."""

import subprocess
import sys

import pytest


@pytest.mark.parametrize("argv", [["list", "models"], ["plugins"]])
def test_listing_wall_time(benchmark, argv):
    def run():
        return subprocess.run([sys.executable, "-m", "ferbench.cli", *argv],
                              capture_output=True, check=True)

    result = benchmark.pedantic(run, rounds=5, iterations=1, warmup_rounds=1)
    assert result.returncode == 0
