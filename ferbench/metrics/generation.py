"""Generation-quality metrics: Fréchet distance and kernel (MMD) distance between feature sets,
and real FID / Inception Score with user-supplied Inception weights.

A distance on features of anything but the standard Inception network is named for its
features, `FD[<features>]` / `KD[<features>]`, never FID or KID. Real FID and IS need the
torch-fidelity Inception weights file (`pt_inception-2015-12-05-6726825d.pth`) named by the
environment variable FERBENCH_INCEPTION_WEIGHTS; nothing is ever downloaded. Without it,
`inception_weights()` is None and callers print NO_INCEPTION.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import warnings
from contextlib import contextmanager
from pathlib import Path

import torch
from torch import nn
from torchmetrics.image.fid import FrechetInceptionDistance
from torchmetrics.image.inception import InceptionScore
from torchmetrics.image.kid import KernelInceptionDistance

from ..errors import UserError

WEIGHTS_ENV = "FERBENCH_INCEPTION_WEIGHTS"
NO_INCEPTION = "n/a (no Inception weights)"


def fd_name(features: str) -> str:
    """The name of a Fréchet distance on `features`, e.g. FD[tiny-cnn]."""
    return f"FD[{features}]"


def kd_name(features: str) -> str:
    """The name of a kernel (KID-style) distance on `features`, e.g. KD[tiny-cnn]."""
    return f"KD[{features}]"


@contextmanager
def _quiet_buffer_warning():
    """torchmetrics warns at every KID/IS construction that features are kept in memory."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*will save all extracted features.*")
        yield


class _Given(nn.Module):
    """Hands precomputed features to torchmetrics' FID/KID in place of a network."""

    def __init__(self, num_features: int):
        super().__init__()
        self.num_features = num_features

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        return feats


def _features(feats: torch.Tensor, name: str) -> torch.Tensor:
    feats = torch.as_tensor(feats).detach().cpu().double()
    if feats.dim() != 2 or len(feats) < 2:
        raise UserError(f"{name}: expected features (N, D) with N >= 2, got {tuple(feats.shape)}")
    return feats


def _pair(real_feats, fake_feats) -> tuple[torch.Tensor, torch.Tensor]:
    real, fake = _features(real_feats, "real_feats"), _features(fake_feats, "fake_feats")
    if real.shape[1] != fake.shape[1]:
        raise UserError(f"real_feats and fake_feats differ in width: {real.shape[1]} vs "
                        f"{fake.shape[1]}")
    return real, fake


@torch.no_grad()
def extract_features(extractor: nn.Module, images: torch.Tensor,
                     batch_size: int = 256) -> torch.Tensor:
    """Run `extractor` (images -> (B, D)) in eval mode over `images` in batches, on the
    extractor's device; returns (N, D) on the CPU. The caller prepares `images` as the
    extractor expects them (dtype, range, normalisation)."""
    was_training = extractor.training
    extractor.eval()
    param = next(extractor.parameters(), None)
    device = images.device if param is None else param.device
    try:
        out = [extractor(images[i:i + batch_size].to(device)).flatten(1).cpu()
               for i in range(0, len(images), batch_size)]
    finally:
        extractor.train(was_training)
    return torch.cat(out)


def frechet_distance(real_feats: torch.Tensor, fake_feats: torch.Tensor) -> float:
    """||mu_r - mu_f||^2 + Tr(S_r + S_f - 2 (S_r S_f)^(1/2)) between Gaussians fitted to two
    feature sets (N, D), in float64, through torchmetrics' FID computation (Heusel et al.
    2017). Name the result with `fd_name`."""
    real, fake = _pair(real_feats, fake_feats)
    metric = FrechetInceptionDistance(feature=_Given(real.shape[1]))
    metric.update(real, real=True)
    metric.update(fake, real=False)
    return metric.compute().item()


def kid(real_feats: torch.Tensor, fake_feats: torch.Tensor, subsets: int = 100,
        subset_size: int = 1000, seed: int = 0) -> tuple[float, float]:
    """Kernel distance (Bińkowski et al. 2018): unbiased MMD^2 with the cubic polynomial
    kernel (x.y / D + 1)^3, averaged over `subsets` random subsets of `subset_size` samples
    of each set (drawn with `seed`), through torchmetrics' KID. Returns (mean, std over
    subsets). On non-Inception features name it with `kd_name`."""
    real, fake = _pair(real_feats, fake_feats)
    if not 2 <= subset_size <= min(len(real), len(fake)):
        raise UserError(f"kid: subset_size must be in 2..{min(len(real), len(fake))} (the "
                        f"smaller feature set), got {subset_size}")
    if subsets < 1:
        raise UserError(f"kid: subsets must be >= 1, got {subsets}")
    with _quiet_buffer_warning():
        metric = KernelInceptionDistance(feature=_Given(real.shape[1]), subsets=subsets,
                                         subset_size=subset_size)
    metric.update(real, real=True)
    metric.update(fake, real=False)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        mean, std = metric.compute()
    return mean.item(), std.item()


def inception_weights() -> tuple[Path, str] | None:
    """(path, SHA-256) of the Inception weights named by FERBENCH_INCEPTION_WEIGHTS, or None
    when the variable is unset or empty."""
    value = os.environ.get(WEIGHTS_ENV, "")
    if not value:
        return None
    path = Path(value).expanduser()
    if not path.is_file():
        raise UserError(f"{WEIGHTS_ENV}={value}: no such file (expected the torch-fidelity "
                        "Inception weights, pt_inception-2015-12-05-6726825d.pth)")
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return path, digest.hexdigest()


def _weights_file(weights_path) -> str:
    if weights_path is None or not Path(weights_path).is_file():
        raise UserError(f"Inception weights file {weights_path!r} not found; set {WEIGHTS_ENV} "
                        "to the torch-fidelity weights (pt_inception-2015-12-05-6726825d.pth)")
    return str(weights_path)


def _rgb_uint8(images: torch.Tensor, name: str) -> torch.Tensor:
    if images.dtype != torch.uint8 or images.dim() != 4 or images.shape[1] not in (1, 3):
        raise UserError(f"{name}: expected uint8 images (B, 1 or 3, H, W), got {images.dtype} "
                        f"{tuple(images.shape)}")
    return images.expand(-1, 3, -1, -1) if images.shape[1] == 1 else images


def _inception(weights_path, feature: str) -> nn.Module:
    weights = _weights_file(weights_path)
    if importlib.util.find_spec("torch_fidelity") is None:
        raise UserError("FID/IS with Inception weights need torch-fidelity: "
                        "pip install torch-fidelity")
    from torchmetrics.image.fid import NoTrainInceptionV3

    return NoTrainInceptionV3(name="inception-v3-compat", features_list=[feature],
                              feature_extractor_weights_path=weights)


def _batches(images: torch.Tensor, batch_size: int):
    return (images[i:i + batch_size] for i in range(0, len(images), batch_size))


def fid_with_inception(real_uint8: torch.Tensor, fake_uint8: torch.Tensor, weights_path,
                       batch_size: int = 64) -> float:
    """Standard FID (2048-d pool features of the TF Inception v3, images resized to 299)
    with weights loaded from `weights_path`; grayscale images are repeated to RGB.
    Needs torch-fidelity (an optional extra)."""
    real, fake = _rgb_uint8(real_uint8, "real_uint8"), _rgb_uint8(fake_uint8, "fake_uint8")
    metric = FrechetInceptionDistance(feature=_inception(weights_path, "2048"))
    for batch in _batches(real, batch_size):
        metric.update(batch, real=True)
    for batch in _batches(fake, batch_size):
        metric.update(batch, real=False)
    return metric.compute().item()


def inception_score(fake_uint8: torch.Tensor, weights_path, splits: int = 10,
                    batch_size: int = 64, seed: int = 0) -> tuple[float, float]:
    """Inception Score (Salimans et al. 2016) of generated images with the TF Inception v3
    weights at `weights_path`: (mean, std) over `splits` of a shuffle drawn with `seed`.
    Needs torch-fidelity."""
    fake = _rgb_uint8(fake_uint8, "fake_uint8")
    with _quiet_buffer_warning():
        metric = InceptionScore(feature=_inception(weights_path, "logits_unbiased"),
                                splits=splits)
    for batch in _batches(fake, batch_size):
        metric.update(batch)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        mean, std = metric.compute()
    return mean.item(), std.item()
