"""The decoded-dataset cache: hits, keys, fingerprints, corruption, every field kept."""

import os
import time

import numpy as np
import pytest
import torch

from ferbench.data.cache import cache_key, cache_path, cached_load, fingerprint
from ferbench.data.formats.ckplus import load as load_ckplus
from ferbench.specs import DatasetSpec


def counting_spec(loader, name="counted"):
    calls = []

    def load(root, **options):
        calls.append(options)
        return loader(root, **options)

    return DatasetSpec(name=name, load=load), calls


def assert_same(a, b):
    assert a.info == b.info and a.info.extra == b.info.extra
    for name in ("images", "labels", "au_presence", "au_intensity", "landmarks",
                 "soft_labels"):
        x, y = getattr(a, name), getattr(b, name)
        if x is None or y is None:
            assert x is None and y is None, name
        else:  # NaN marks an AU coded without intensity: equal_nan
            torch.testing.assert_close(x, y, rtol=0, atol=0, equal_nan=True, msg=name)
    for name in ("subjects", "keys", "official_split", "official_fold", "pair_keys"):
        x, y = getattr(a, name), getattr(b, name)
        assert (x is None and y is None) or np.array_equal(x, y), name
    assert a.skipped == b.skipped


def test_second_load_is_a_hit_with_every_field(tmp_path, write_ckplus_full):
    root = write_ckplus_full(tmp_path / "ck")
    (root / "cohn-kanade-images" / "S011" / "003" / "S011_003_00000004.png").write_bytes(b"x")
    spec, calls = counting_spec(load_ckplus)
    first = cached_load(spec, root, {"neutral": True}, cache_dir=tmp_path / "c")
    assert first.au_presence is not None and first.skipped  # a rich FaceSet
    second = cached_load(spec, root, {"neutral": True}, cache_dir=tmp_path / "c")
    assert len(calls) == 1  # served from the cache (timed in benchmarks/)
    assert_same(first, second)
    assert isinstance(second.skipped[0], tuple)


def test_options_and_file_changes_rebuild(tmp_path, write_ck48):
    root = write_ck48(tmp_path / "ck48", subjects=2)
    spec, calls = counting_spec(load_ckplus)
    cached_load(spec, root, {"image_size": 32}, cache_dir=tmp_path / "c")
    cached_load(spec, root, {"image_size": "32"}, cache_dir=tmp_path / "c")
    assert len(calls) == 1  # "32" and 32 give the same key
    cached_load(spec, root, {"image_size": 24}, cache_dir=tmp_path / "c")
    assert len(calls) == 2
    victim = next((root / "anger").iterdir())
    os.utime(victim, ns=(time.time_ns(), time.time_ns() + 10**9))
    fs = cached_load(spec, root, {"image_size": 24}, cache_dir=tmp_path / "c")
    assert len(calls) == 3 and fs.images.shape[-1] == 24


def test_corrupt_cache_file_is_rebuilt(tmp_path, write_ck48):
    root = write_ck48(tmp_path / "ck48", subjects=1)
    spec, calls = counting_spec(load_ckplus)
    good = cached_load(spec, root, {}, cache_dir=tmp_path / "c")
    path = cache_path(spec, root, {}, cache_dir=tmp_path / "c")
    path.write_bytes(path.read_bytes()[:100])
    with pytest.warns(UserWarning, match="unreadable.*rebuilding"):
        again = cached_load(spec, root, {}, cache_dir=tmp_path / "c")
    assert len(calls) == 2 and path.is_file()
    assert_same(good, again)


def test_env_cache_dir_and_no_root(tmp_path, monkeypatch):
    monkeypatch.setenv("FERBENCH_CACHE", str(tmp_path / "envcache"))
    from ferbench.data.faceset import FaceSet
    from ferbench.data.info import DatasetInfo

    def generate(root, seed=0):
        assert root is None
        images = torch.full((3, 1, 8, 8), int(seed), dtype=torch.uint8)
        return FaceSet(DatasetInfo("gen", ("a", "b")), images, torch.tensor([0, 1, 0]),
                       ["s1", "s2", "s3"], ["k1", "k2", "k3"])

    spec, calls = counting_spec(generate, name="gen")
    a = cached_load(spec, None, {"seed": 5})
    b = cached_load(spec, None, {"seed": 5})
    assert len(calls) == 1 and int(b.images[0, 0, 0, 0]) == 5
    assert_same(a, b)
    assert list((tmp_path / "envcache" / "datasets").glob("gen-*.pt"))
    assert fingerprint(None) is None


def test_key_covers_name_options_and_files(tmp_path):
    f = tmp_path / "fer2013.csv"
    f.write_text("emotion,pixels,Usage\n")
    assert fingerprint(f)[0][:2] == ["fer2013.csv", len("emotion,pixels,Usage\n")]
    base = cache_key("fer2013", f, {"a": 1})
    assert cache_key("fer2013", f, {"a": 1}) == base
    assert cache_key("ferplus", f, {"a": 1}) != base
    assert cache_key("fer2013", f, {"a": 2}) != base
    f.write_text("emotion,pixels,Usage\n0,1,Training\n")
    assert cache_key("fer2013", f, {"a": 1}) != base
