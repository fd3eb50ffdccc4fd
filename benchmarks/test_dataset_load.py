"""Loading a FER2013-sized CSV (35,887 rows): the first load decodes, the second hits the
decoded-tensor cache. Run: .venv/bin/pytest benchmarks/test_dataset_load.py"""

import itertools

import numpy as np
import pytest

from ferbench.data.cache import cached_load
from ferbench.data.catalog import DATASETS

ROWS = 35_887
USAGES = ("Training",) * 28_709 + ("PublicTest",) * 3_589 + ("PrivateTest",) * 3_589
SPEC = next(s for s in DATASETS if s.name == "fer2013")


@pytest.fixture(scope="module")
def fer_csv(tmp_path_factory):
    """fer2013.csv in the real format; 97 distinct random pixel rows, reused (parsing cost
    does not depend on the values)."""
    rng = np.random.default_rng(0)
    pixel_rows = [" ".join(map(str, rng.integers(0, 256, 2304))) for _ in range(97)]
    path = tmp_path_factory.mktemp("fer") / "fer2013.csv"
    with open(path, "w", newline="") as f:
        f.write("emotion,pixels,Usage\r\n")
        for i, pixels, usage in zip(range(ROWS), itertools.cycle(pixel_rows), USAGES,
                                    strict=False):
            f.write(f"{i % 7},{pixels},{usage}\r\n")
    return path


def test_first_load_decodes(benchmark, fer_csv, tmp_path_factory):
    def fresh_cache():
        return (SPEC, fer_csv, {}), {"cache_dir": tmp_path_factory.mktemp("cache")}

    fs = benchmark.pedantic(cached_load, setup=fresh_cache, rounds=3, iterations=1)
    assert len(fs) == ROWS


def test_second_load_hits_cache(benchmark, fer_csv, tmp_path_factory):
    cache_dir = tmp_path_factory.mktemp("cache")
    cached_load(SPEC, fer_csv, {}, cache_dir=cache_dir)
    fs = benchmark.pedantic(cached_load, args=(SPEC, fer_csv, {}),
                            kwargs={"cache_dir": cache_dir}, rounds=5, iterations=1)
    assert len(fs) == ROWS
