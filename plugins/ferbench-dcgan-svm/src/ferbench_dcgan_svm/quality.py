"""Quality of the DCGAN's generated faces against the faces it learned from (the paper's
Table VII measures IS, FID and SSIM on RaFD):

- FD[hog] / KD[hog]: Fréchet and kernel distances on HOG descriptors (never called FID);
- SSIM: each generated face against its nearest real training face (pixel L2), averaged —
  the paper does not say what its SSIM compares; for an unconditional generator, the
  closest real face is the only reference there is;
- FID and IS with the standard Inception weights, only when FERBENCH_INCEPTION_WEIGHTS
  names them.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from ferbench.metrics.generation import (
    NO_INCEPTION,
    fd_name,
    fid_with_inception,
    frechet_distance,
    inception_score,
    inception_weights,
    kd_name,
    kid,
)
from ferbench.metrics.image import ssim
from ferbench.models.classic import hog_features
from ferbench.models.gan_nets import DCGANGenerator, to_uint8
from ferbench.results.curves import save_sample_grid

FEATURES = "hog"
KID_SUBSET = 100


@torch.no_grad()
def generate(G: DCGANGenerator, n: int, seed: int, batch_size: int = 256) -> torch.Tensor:
    """`n` uint8 faces from the generator in eval mode, with noise drawn from `seed`."""
    G.eval()
    z = torch.randn(n, G.z_dim, generator=torch.Generator().manual_seed(seed))
    device = next(G.parameters()).device
    return torch.cat([to_uint8(G(part.to(device))).cpu() for part in z.split(batch_size)])


def nearest(fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """For each generated face, the real face closest in pixel L2."""
    distances = torch.cdist(fake.flatten(1).float(), real.flatten(1).float())
    return real[distances.argmin(1)]


def quality_report(G: DCGANGenerator, real: torch.Tensor, n: int, seed: int) -> dict:
    """FD/KD on HOG, nearest-real SSIM, and FID/IS where Inception weights are given, of `n`
    generated faces against up to `n` of the uint8 `real` faces (at the generator's size,
    drawn with `seed`)."""
    fake = generate(G, n, seed)
    if len(real) > n:
        real = real[torch.randperm(len(real), generator=torch.Generator().manual_seed(seed))[:n]]
    real_feats = torch.as_tensor(hog_features(real))
    fake_feats = torch.as_tensor(hog_features(fake))
    kd_mean, kd_std = kid(real_feats, fake_feats,
                          subset_size=min(KID_SUBSET, len(real), len(fake)), seed=seed)
    report = {"n_generated": n, "n_real": len(real),
              fd_name(FEATURES): frechet_distance(real_feats, fake_feats),
              kd_name(FEATURES): kd_mean, f"{kd_name(FEATURES)} std": kd_std,
              "ssim_nearest_real": ssim(fake, nearest(fake, real)),
              "FID": NO_INCEPTION, "IS": NO_INCEPTION}
    weights = inception_weights()
    if weights is not None:
        report.update({"FID": fid_with_inception(real, fake, weights[0]),
                       "IS": inception_score(fake, weights[0], seed=seed)[0],
                       "inception_weights": {"path": str(weights[0]), "sha256": weights[1]}})
    return report


def write_report(G: DCGANGenerator, real: torch.Tensor, n: int, seed: int,
                 folder: Path) -> dict:
    """`quality_report` as generation.json, and 64 generated faces as generated.png."""
    report = quality_report(G, real, n, seed)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "generation.json").write_text(json.dumps(report, indent=2))
    save_sample_grid(generate(G, 64, seed), folder / "generated.png")
    return report
