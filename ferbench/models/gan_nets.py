"""DCGAN generator and discriminator (Radford et al. 2016) at 32, 48, 64 px and any channel
count, optionally class-conditional; the WGAN-GP critic is the discriminator without batch
norm (Gulrajani et al. 2017). Images are floats in [-1, 1]; `to_uint8` / `from_uint8`
convert to and from the stored uint8 format.

Sizes are base * 2^k with base 3 or 4 and k >= 3 (24, 32, 48, 64, 96, 128 ...): the
generator projects z to a base x base map with width * 2^(k-1) channels and doubles the
resolution k times while halving the channels; the discriminator mirrors it.
"""

from __future__ import annotations

import torch
from torch import nn

from ..errors import UserError
from ..gan import dcgan_init

NORMS = ("batch", "layer", "none")


def _base_and_doublings(size: int) -> tuple[int, int]:
    for base in (4, 3):
        k = 0
        while base * 2 ** k < size:
            k += 1
        if base * 2 ** k == size and k >= 3:
            return base, k
    raise UserError(f"DCGAN image size must be 3*2^k or 4*2^k with k >= 3 (24, 32, 48, 64, "
                    f"96, 128 ...), got {size}")


def _check_labels(y: torch.Tensor | None, num_classes: int, who: str) -> None:
    if num_classes and y is None:
        raise UserError(f"{who} is class-conditional (num_classes={num_classes}): pass labels y")
    if not num_classes and y is not None:
        raise UserError(f"{who} is unconditional (num_classes=0): labels y must be None")


def to_uint8(x: torch.Tensor) -> torch.Tensor:
    """Images in [-1, 1] (float) -> uint8 in [0, 255], clamped and rounded."""
    return ((x.detach().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)


def from_uint8(x: torch.Tensor) -> torch.Tensor:
    """uint8 images in [0, 255] -> float32 in [-1, 1]."""
    return x.float() / 127.5 - 1


class DCGANGenerator(nn.Module):
    """z (B, z_dim) -> images (B, out_chans, size, size) in [-1, 1] (tanh). With
    num_classes > 0, a learned label embedding (num_classes-d) is concatenated to z
    (Mirza & Osindero 2014)."""

    def __init__(self, out_chans: int, size: int, z_dim: int = 100, width: int = 64,
                 num_classes: int = 0):
        super().__init__()
        base, k = _base_and_doublings(size)
        self.z_dim, self.num_classes, self.size = z_dim, num_classes, size
        self.embed = nn.Embedding(num_classes, num_classes) if num_classes else None
        chans = width * 2 ** (k - 1)
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(z_dim + num_classes, chans, base, 1, 0, bias=False),
            nn.BatchNorm2d(chans), nn.ReLU(inplace=True)]
        for _ in range(k - 1):
            layers += [nn.ConvTranspose2d(chans, chans // 2, 4, 2, 1, bias=False),
                       nn.BatchNorm2d(chans // 2), nn.ReLU(inplace=True)]
            chans //= 2
        layers += [nn.ConvTranspose2d(chans, out_chans, 4, 2, 1, bias=False), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        dcgan_init(self.net)

    def sample_noise(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """z ~ N(0, I) of shape (n, z_dim) on this module's device."""
        device = next(self.parameters()).device
        return torch.randn(n, self.z_dim, generator=generator, device=device)

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        _check_labels(y, self.num_classes, "DCGANGenerator")
        z = z.flatten(1)
        if self.embed is not None:
            z = torch.cat([z, self.embed(y)], dim=1)
        return self.net(z[:, :, None, None])


def _norm(kind: str, chans: int) -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm2d(chans)
    if kind == "layer":  # layer norm over (C, H, W) with a per-channel affine
        return nn.GroupNorm(1, chans)
    return nn.Identity()


class DCGANDiscriminator(nn.Module):
    """Images (B, in_chans, size, size) -> (B,) logits. Strided 4x4 convs with LeakyReLU 0.2,
    no normalisation on the first layer, `norm` on the others ("batch" for DCGAN, "layer" or
    "none" for a WGAN-GP critic), and a final base x base conv to one logit.

    With num_classes > 0 it is a projection discriminator (Miyato & Koyama 2018): the logit
    adds <embed(y), sum-pooled penultimate features> (embedding initialised N(0, 0.02)).
    """

    def __init__(self, in_chans: int, size: int, width: int = 64, num_classes: int = 0,
                 norm: str = "batch"):
        super().__init__()
        if norm not in NORMS:
            raise UserError(f"DCGANDiscriminator norm {norm!r} unknown; expected one of "
                            f"{', '.join(NORMS)}")
        base, k = _base_and_doublings(size)
        self.num_classes, self.size = num_classes, size
        bias = norm == "none"
        layers: list[nn.Module] = [nn.Conv2d(in_chans, width, 4, 2, 1, bias=bias),
                                   nn.LeakyReLU(0.2, inplace=True)]
        chans = width
        for _ in range(k - 1):
            layers += [nn.Conv2d(chans, chans * 2, 4, 2, 1, bias=bias), _norm(norm, chans * 2),
                       nn.LeakyReLU(0.2, inplace=True)]
            chans *= 2
        self.body = nn.Sequential(*layers)
        self.head = nn.Conv2d(chans, 1, base, 1, 0, bias=False)
        self.embed = nn.Embedding(num_classes, chans) if num_classes else None
        self.num_features = chans * base * base
        dcgan_init(self)
        if self.embed is not None:
            nn.init.normal_(self.embed.weight, 0.0, 0.02)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate conv activations (after norm and LeakyReLU), flattened to
        (B, num_features); 8 * width * 4 * 4 = 8192 at 64 px and width 64, the size of the
        features Alharbawee & Pugeault feed to their SVMs."""
        return self.body(x).flatten(1)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        _check_labels(y, self.num_classes, "DCGANDiscriminator")
        h = self.body(x)
        logits = self.head(h).flatten()
        if self.embed is not None:
            logits = logits + (self.embed(y) * h.sum(dim=(2, 3))).sum(dim=1)
        return logits
