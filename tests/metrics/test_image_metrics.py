"""SSIM, PSNR, L1 and landmark NME, per image and averaged, against scikit-image / numpy on the
same inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from ferbench.errors import UserError
from ferbench.metrics.image import (
    PSNR_CAP_DB,
    l1,
    l1_per_image,
    nme,
    nme_per_face,
    psnr,
    psnr_per_image,
    ssim,
    ssim_per_image,
)


def _pair(seed: int = 0, shape=(3, 3, 32, 40), noise: int = 40):
    gen = torch.Generator().manual_seed(seed)
    truth = torch.randint(0, 256, shape, generator=gen, dtype=torch.uint8)
    delta = torch.randint(-noise, noise + 1, shape, generator=gen)
    return (truth.int() + delta).clamp(0, 255).to(torch.uint8), truth


def _skimage_ssims(pred, truth) -> list[float]:
    # Wang et al.'s settings: Gaussian window sigma 1.5 (11 taps), population covariances
    return [structural_similarity(
        p.numpy() / 255.0, t.numpy() / 255.0, data_range=1.0, channel_axis=0,
        gaussian_weights=True, sigma=1.5, use_sample_covariance=False)
        for p, t in zip(pred, truth, strict=True)]


def _skimage_ssim(pred, truth) -> float:
    return float(np.mean(_skimage_ssims(pred, truth)))


@pytest.mark.parametrize("chans", [1, 3])
def test_ssim_matches_skimage(chans):
    pred, truth = _pair(shape=(3, chans, 32, 40))
    expected = _skimage_ssim(pred, truth)
    assert ssim(pred, truth) == pytest.approx(expected, abs=1e-5)
    assert ssim(pred.float() / 255, truth.float() / 255) == pytest.approx(expected, abs=1e-5)
    assert expected < 0.99  # the noise is visible


def test_psnr_matches_skimage_per_image_mean():
    pred, truth = _pair(noise=25)
    expected = np.mean([peak_signal_noise_ratio(t.numpy(), p.numpy(), data_range=255)
                        for p, t in zip(pred, truth, strict=True)])
    assert psnr(pred, truth) == pytest.approx(expected, abs=1e-4)
    assert psnr(pred, truth.float() / 255) == pytest.approx(expected, abs=1e-4)


@pytest.mark.parametrize("chans", [1, 3])
def test_per_image_ssim_and_psnr_match_skimage_and_average_to_the_scalars(chans):
    pred, truth = _pair(seed=2, shape=(4, chans, 24, 30), noise=30)
    pred[2] = truth[2]  # identical: SSIM 1, PSNR at the cap (skimage gives inf)
    ssims, psnrs = ssim_per_image(pred, truth), psnr_per_image(pred, truth)
    assert ssims.shape == psnrs.shape == (4,)
    assert ssims.tolist() == pytest.approx(_skimage_ssims(pred, truth), abs=1e-5)
    noisy = [0, 1, 3]
    expected = [peak_signal_noise_ratio(truth[i].numpy(), pred[i].numpy(), data_range=255)
                for i in noisy]
    assert psnrs[noisy].tolist() == pytest.approx(expected, abs=1e-4)
    assert psnrs[2].item() == PSNR_CAP_DB and max(expected) < 30  # the noise is visible
    assert ssim(pred, truth) == pytest.approx(ssims.mean().item(), abs=1e-7)
    assert psnr(pred, truth) == pytest.approx(psnrs.mean().item(), abs=1e-6)
    l1s = l1_per_image(pred, truth)
    assert l1s.tolist() == pytest.approx(
        np.abs(pred.numpy().astype(float) - truth.numpy()).mean((1, 2, 3)) / 255, rel=1e-5)
    assert l1(pred, truth) == pytest.approx(l1s.mean().item(), rel=1e-6)


def test_psnr_of_a_constant_offset():
    gen = torch.Generator().manual_seed(1)
    truth = torch.randint(0, 256 - 20, (2, 1, 16, 16), generator=gen, dtype=torch.uint8)
    for k in (1, 5, 20):
        assert psnr(truth + k, truth) == pytest.approx(20 * math.log10(255 / k), abs=1e-4)


def test_identical_images():
    _, truth = _pair()
    assert ssim(truth, truth) == pytest.approx(1.0, abs=1e-6)
    assert psnr(truth, truth) == PSNR_CAP_DB
    assert l1(truth, truth) == 0.0


def test_l1_in_unit_range():
    pred, truth = _pair()
    expected = np.abs(pred.numpy().astype(float) - truth.numpy()).mean() / 255
    assert l1(pred, truth) == pytest.approx(expected, rel=1e-5)


def test_bad_images_are_user_errors():
    pred, truth = _pair()
    with pytest.raises(UserError, match=r"\[0, 1\]"):
        psnr(pred.float() / 127.5 - 1, truth)
    with pytest.raises(UserError, match="shape"):
        ssim(pred[:, :1], truth)
    with pytest.raises(UserError, match="11x11"):
        ssim(pred[..., :8, :8], truth[..., :8, :8])


def _faces(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(10, 90, (n, 68, 2))


def test_nme_matches_numpy_and_counts_failures():
    truth, pred = _faces(5, 0), _faces(5, 1)
    pred[1, 30] = np.nan  # one failed detection
    truth[3, 0, 0] = np.nan  # one missing annotation
    mean, failed = nme(torch.from_numpy(pred), torch.from_numpy(truth))
    keep = [0, 2, 4]
    iod = np.linalg.norm(truth[keep, 36] - truth[keep, 45], axis=1)
    expected = (np.linalg.norm(pred[keep] - truth[keep], axis=2).mean(1) / iod).mean()
    assert failed == 2
    assert mean == pytest.approx(expected, rel=1e-12)
    per_face = nme_per_face(torch.from_numpy(pred), torch.from_numpy(truth)).numpy()
    assert np.isnan(per_face[[1, 3]]).all()
    assert per_face[keep] == pytest.approx(
        np.linalg.norm(pred[keep] - truth[keep], axis=2).mean(1) / iod, rel=1e-12)


def test_nme_of_a_known_shift():
    truth = _faces(2, 3)
    truth[:, 36], truth[:, 45] = (20, 40), (70, 40)  # inter-ocular distance 50
    mean, failed = nme(truth + np.array([3.0, 4.0]), truth)  # every point 5 px off
    assert (mean, failed) == (pytest.approx(0.1), 0)


def test_nme_all_failed_and_bad_shapes():
    truth = _faces(2, 0)
    mean, failed = nme(np.full_like(truth, np.nan), truth)
    assert math.isnan(mean) and failed == 2
    with pytest.raises(UserError, match=r"\(N, 68, 2\)"):
        nme(truth[:, :5], truth[:, :5])
