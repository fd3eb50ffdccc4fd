"""The networks of Fan et al. (2023): the landmark fusion auto-encoder (module 1, Eq. 1),
the modified U-Net of Table 1 and the spectrally normalised Markov discriminator of Table 2
(module 2), built on ferbench's pix2pix networks."""

from __future__ import annotations

import torch
from ferbench.errors import UserError
from ferbench.models.pix2pix_nets import PatchDiscriminator, UNetGenerator
from torch import nn


def _widths(width: int, depth: int) -> list[int]:
    """Channels per stride-2 level: width * (1, 2, 4, 8, 8, ...), as in Table 1."""
    return [width * min(2 ** i, 8) for i in range(depth)]


def _encoder(width: int, depth: int) -> nn.Sequential:
    """1-channel landmark image -> (8 * width at most, size / 2^depth): 4x4 stride-2 convs,
    LeakyReLU 0.2 and BatchNorm after the first."""
    chans = _widths(width, depth)
    layers: list[nn.Module] = [nn.Conv2d(1, chans[0], 4, 2, 1)]
    for cin, cout in zip(chans, chans[1:], strict=False):
        layers += [nn.LeakyReLU(0.2), nn.Conv2d(cin, cout, 4, 2, 1, bias=False),
                   nn.BatchNorm2d(cout)]
    return nn.Sequential(*layers)


def _decoder(width: int, depth: int) -> nn.Sequential:
    """Both codes concatenated -> a 1-channel deviation image: 4x4 stride-2 transposed convs
    with ReLU and BatchNorm, the last one linear (a deviation, no tanh)."""
    chans = _widths(width, depth)
    layers: list[nn.Module] = []
    cin = 2 * chans[-1]
    for cout in reversed(chans[:-1]):
        layers += [nn.ReLU(), nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=False),
                   nn.BatchNorm2d(cout)]
        cin = cout
    layers += [nn.ReLU(), nn.ConvTranspose2d(cin, 1, 4, 2, 1)]
    return nn.Sequential(*layers)


class LandmarkFusion(nn.Module):
    """Module 1, Eq. (1): J_gen = L_t + G_Dec(G_Enc1(L_s), G_Enc2(L_t)) on landmark images in
    [-1, 1] of shape (B, 1, size, size)."""

    def __init__(self, size: int, width: int = 64, depth: int = 3):
        super().__init__()
        if depth < 1 or size % 2 ** depth:
            raise UserError(f"model option fusion_depth={depth}: the image size {size} must "
                            f"be divisible by 2^fusion_depth (fusion_depth >= 1)")
        self.encode_source = _encoder(width, depth)
        self.encode_target = _encoder(width, depth)
        self.decoder = _decoder(width, depth)

    def deviation(self, source: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """G_Dec(G_Enc1(L_s), G_Enc2(L_t)): the change that moves L_t to L_s's expression."""
        return self.decoder(torch.cat([self.encode_source(source),
                                       self.encode_target(target)], 1))

    def forward(self, source: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return target + self.deviation(source, target)


def default_depth(size: int) -> int:
    """Stride-2 levels down to the smallest map of at least 2x2 (Table 1: 7 at 256 px, to
    2x2); 5 at 64 px, 4 at 48 px (3x3)."""
    depth = 0
    while size % 2 ** (depth + 1) == 0 and size // 2 ** (depth + 1) >= 2:
        depth += 1
    return depth


class ModifiedUNet(UNetGenerator):
    """Table 1's generator: ferbench's pix2pix U-Net (4x4 kernels, stride-2 convs with
    LeakyReLU + BN down, transposed convs with ReLU + BN up, skip connections, tanh output)
    with `depth` levels down to 2x2 at 256 px, a stride-1 bottleneck (LeakyReLU, 4x4 conv,
    BN) at the innermost resolution, and no dropout (the paper lists none)."""

    def __init__(self, in_chans: int, out_chans: int, size: int, width: int = 64,
                 depth: int | None = None):
        super().__init__(in_chans, out_chans, size, width,
                         default_depth(size) if depth is None else depth, dropout=False)
        inner = _widths(width, self.depth)[-1]
        # the innermost down's output feeds only the first up, so the bottleneck follows it
        self.downs[-1] = nn.Sequential(self.downs[-1], nn.LeakyReLU(0.2),
                                       nn.ZeroPad2d((1, 2, 1, 2)),  # "same" for a 4x4 kernel
                                       nn.Conv2d(inner, inner, 4, 1, bias=False),
                                       nn.BatchNorm2d(inner))


def spectral_patch_discriminator(in_chans: int, width: int = 64) -> PatchDiscriminator:
    """Table 2's Markov discriminator: ferbench's 70x70 PatchGAN (30x30 logits at 256 px)
    with spectral normalisation in place of BatchNorm. The sigmoid of the output layer is in
    the BCE loss."""
    return PatchDiscriminator(in_chans, width=width, n_layers=3, spectral=True, norm=False)


class TargetConditioned(nn.Module):
    """D_I(P_t, I) of Eq. (7): the discriminator sees the target image and the judged image,
    not the fused landmark image (channel `chans` of its input (target, J_gen, image))."""

    def __init__(self, discriminator: nn.Module, chans: int):
        super().__init__()
        self.discriminator, self.chans = discriminator, chans

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.discriminator(torch.cat([x[:, :self.chans], x[:, self.chans + 1:]], 1))
