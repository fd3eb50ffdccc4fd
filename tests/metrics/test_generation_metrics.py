"""Fréchet and kernel distances against scipy/numpy on the same features; Inception weights
only from the environment, never from the network."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import socket

import numpy as np
import pytest
import scipy.linalg
import torch
from torch import nn

from ferbench.errors import UserError
from ferbench.metrics.generation import (
    WEIGHTS_ENV,
    extract_features,
    fd_name,
    fid_with_inception,
    frechet_distance,
    inception_score,
    inception_weights,
    kid,
)

torch.set_num_threads(1)


def _feats(n: int, d: int, seed: int, shift: float = 0.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)) @ rng.normal(size=(d, d)) * 0.5 + shift


def _scipy_frechet(a: np.ndarray, b: np.ndarray) -> float:
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = scipy.linalg.sqrtm(cov_a @ cov_b).real
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a + cov_b - 2 * covmean))


def test_frechet_distance_matches_scipy():
    real, fake = _feats(200, 8, 0), _feats(150, 8, 1, shift=0.3)
    expected = _scipy_frechet(real, fake)
    assert frechet_distance(torch.from_numpy(real), torch.from_numpy(fake)) == \
        pytest.approx(expected, rel=1e-6)
    assert expected > 1


def test_frechet_distance_of_a_set_with_itself_is_zero():
    real = torch.from_numpy(_feats(100, 6, 2)).float()
    assert frechet_distance(real, real) == pytest.approx(0.0, abs=1e-4)
    assert fd_name("tiny-cnn") == "FD[tiny-cnn]"


def _numpy_kid(a: np.ndarray, b: np.ndarray) -> float:
    d, m = a.shape[1], len(a)
    kxx, kyy, kxy = ((a @ a.T / d + 1) ** 3, (b @ b.T / d + 1) ** 3, (a @ b.T / d + 1) ** 3)
    return float((kxx.sum() - np.trace(kxx) + kyy.sum() - np.trace(kyy)) / (m * (m - 1))
                 - 2 * kxy.mean())


def test_kid_on_whole_sets_matches_numpy():
    real, fake = _feats(40, 5, 3), _feats(40, 5, 4, shift=0.5)
    mean, std = kid(torch.from_numpy(real), torch.from_numpy(fake), subsets=1, subset_size=40)
    assert mean == pytest.approx(_numpy_kid(real, fake), rel=1e-9)
    assert std == 0.0


def test_kid_subsets_are_seeded():
    real, fake = torch.from_numpy(_feats(60, 5, 3)), torch.from_numpy(_feats(50, 5, 4, 0.5))
    first = kid(real, fake, subsets=5, subset_size=20, seed=3)
    assert kid(real, fake, subsets=5, subset_size=20, seed=3) == first
    assert kid(real, fake, subsets=5, subset_size=20, seed=4) != first
    assert first[1] > 0
    with pytest.raises(UserError, match="subset_size"):
        kid(real, fake, subsets=5, subset_size=51)


def test_mismatched_features_are_user_errors():
    with pytest.raises(UserError, match="width"):
        frechet_distance(torch.randn(5, 3), torch.randn(5, 4))
    with pytest.raises(UserError, match="N >= 2"):
        frechet_distance(torch.randn(1, 3), torch.randn(5, 3))


def test_extract_features_batches_and_restores_mode():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.AdaptiveAvgPool2d(2)).train()
    images = torch.randn(10, 1, 8, 8)
    feats = extract_features(net, images, batch_size=3)
    assert feats.shape == (10, 8) and net.training
    with torch.no_grad():
        torch.testing.assert_close(feats, net.eval()(images).flatten(1))


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", refuse)
    monkeypatch.setattr(torch.hub, "download_url_to_file", refuse)


def test_no_weights_means_none_and_no_download(monkeypatch, no_network):
    monkeypatch.delenv(WEIGHTS_ENV, raising=False)
    assert inception_weights() is None
    images = torch.zeros(2, 3, 16, 16, dtype=torch.uint8)
    with pytest.raises(UserError, match=WEIGHTS_ENV):
        fid_with_inception(images, images, None)
    with pytest.raises(UserError, match=WEIGHTS_ENV):
        inception_score(images, None)


def test_weights_env_gives_path_and_sha256(monkeypatch, tmp_path):
    monkeypatch.setenv(WEIGHTS_ENV, str(tmp_path / "missing.pth"))
    with pytest.raises(UserError, match=WEIGHTS_ENV):
        inception_weights()
    blob = tmp_path / "weights.pth"
    blob.write_bytes(b"not weights, only bytes to hash" * 1000)
    monkeypatch.setenv(WEIGHTS_ENV, str(blob))
    assert inception_weights() == (blob, hashlib.sha256(blob.read_bytes()).hexdigest())


@pytest.mark.skipif(importlib.util.find_spec("torch_fidelity") is None,
                    reason="torch-fidelity is not installed")
@pytest.mark.skipif(not os.environ.get(WEIGHTS_ENV),
                    reason=f"{WEIGHTS_ENV} not set: no Inception weights supplied")
def test_real_fid_with_supplied_weights(no_network):
    path, _ = inception_weights()
    gen = torch.Generator().manual_seed(0)
    real = torch.randint(0, 256, (16, 1, 64, 64), generator=gen, dtype=torch.uint8)
    dark = (real // 4).to(torch.uint8)
    assert fid_with_inception(real, real, path, batch_size=8) == pytest.approx(0.0, abs=0.5)
    assert fid_with_inception(real, dark, path, batch_size=8) > 1.0
    mean, _ = inception_score(real, path, splits=2)
    assert mean >= 1.0
