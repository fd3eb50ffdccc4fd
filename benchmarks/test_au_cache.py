"""Memory and cache speed of an AU dataset at DISFA scale: 21 subjects x 4,845 frames
(101,745 frames) of 64x64 MJPG video in the DISFA layout, decoded into one preallocated
uint8 tensor. Reports the peak RSS of the first load (decode + cache write) and of a cache
hit, each in a fresh process, and times both. Peak RSS is the process's VmHWM: getrusage's
ru_maxrss (also reported) starts at the forking parent's peak on Linux, which here is the
benchmark process itself, so it overstates a child's own peak.
Run: .venv/bin/pytest benchmarks/test_au_cache.py --benchmark-columns=min,mean,max"""

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from ferbench.data.cache import cached_load
from ferbench.data.catalog import DATASETS
from ferbench.data.formats.disfa import AUS

SUBJECTS = [f"SN{i:03d}" for i in range(1, 22)]
FRAMES = 4_845
OPTIONS = {"image_size": 64}
SPEC = next(s for s in DATASETS if s.name == "disfa")

CHILD = """
import json, resource, sys, time
from ferbench.data.cache import cached_load
from ferbench.data.catalog import DATASETS

def high_water_mib():
    with open("/proc/self/status") as status:
        line = next(x for x in status if x.startswith("VmHWM:"))
    return round(int(line.split()[1]) / 1024, 1)

spec = next(s for s in DATASETS if s.name == "disfa")
before = high_water_mib()
start = time.perf_counter()
fs = cached_load(spec, sys.argv[1], json.loads(sys.argv[3]), cache_dir=sys.argv[2])
seconds = time.perf_counter() - start
print(json.dumps({"frames": len(fs), "seconds": round(seconds, 2),
                  "images_mib": round(fs.images.numel() / 2**20, 1),
                  "rss_after_imports_mib": before, "peak_rss_mib": high_water_mib(),
                  "ru_maxrss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                                         / 1024, 1)}))
"""


@pytest.fixture(scope="session")
def disfa_root(tmp_path_factory) -> Path:
    """The DISFA layout: 12 label files and one 64x64 MJPG left-camera video per subject
    (48 distinct frames, a bright square walking over a gradient, cycled)."""
    root = tmp_path_factory.mktemp("disfa")
    gradient = np.tile(np.linspace(40, 160, 64, dtype=np.uint8), (64, 1))
    patterns = []
    for i in range(48):
        frame = gradient.copy()
        frame[8:24, i:i + 16] = 250
        patterns.append(cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR))
    lines = {au: "".join(f"{f},{(f // 50 + au) % 6}\n" for f in range(1, FRAMES + 1))
             for au in AUS}
    (root / "Videos_LeftCamera").mkdir()
    for s in SUBJECTS:
        (root / "ActionUnit_Labels" / s).mkdir(parents=True)
        for au in AUS:
            (root / "ActionUnit_Labels" / s / f"{s}_au{au}.txt").write_text(lines[au])
        writer = cv2.VideoWriter(str(root / "Videos_LeftCamera" / f"LeftVideo{s}_comp.avi"),
                                 cv2.VideoWriter_fourcc(*"MJPG"), 30, (64, 64))
        for f in range(FRAMES):
            writer.write(patterns[f % 48])
        writer.release()
    return root


def load_in_child(root: Path, cache_dir: Path) -> dict:
    """`cached_load` in a fresh interpreter; its timing and peak RSS."""
    out = subprocess.run([sys.executable, "-c", CHILD, str(root), str(cache_dir),
                          json.dumps(OPTIONS)], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cache")


def test_first_load_peak_rss(benchmark, disfa_root, cache_dir):
    """Decode + cache write, timed around a fresh interpreter (startup included; the load
    alone is extra_info["seconds"])."""
    stats = benchmark.pedantic(load_in_child, args=(disfa_root, cache_dir), rounds=1,
                               iterations=1)
    benchmark.extra_info.update(stats)
    assert stats["frames"] == len(SUBJECTS) * FRAMES
    print(f"\nfirst load (decode + cache write): {stats}")


def test_second_load_hits_cache(benchmark, disfa_root, cache_dir):
    cached_load(SPEC, disfa_root, OPTIONS, cache_dir=cache_dir)  # decodes if run alone
    stats = load_in_child(disfa_root, cache_dir)
    benchmark.extra_info.update(stats)
    fs = benchmark.pedantic(cached_load, args=(SPEC, disfa_root, OPTIONS),
                            kwargs={"cache_dir": cache_dir}, rounds=3, iterations=1)
    assert len(fs) == len(SUBJECTS) * FRAMES and fs.official_fold.dtype == np.int64
    print(f"\ncache hit in a fresh process: {stats}")
