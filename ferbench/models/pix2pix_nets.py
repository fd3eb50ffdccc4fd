"""pix2pix networks (Isola et al. 2017): a U-Net generator and the 70x70 PatchGAN
discriminator, laid out as in the authors' reference implementation (4x4 kernels, stride 2,
LeakyReLU 0.2 down, ReLU up, BatchNorm, skip connections, tanh output)."""

from __future__ import annotations

import torch
from torch import nn

from ..errors import UserError
from ..gan import spectral_norm


def _halvings(size: int) -> int:
    n = 0
    while size % 2 ** (n + 1) == 0:
        n += 1
    return n


class UNetGenerator(nn.Module):
    """Images (B, in_chans, size, size) -> (B, out_chans, size, size) in [-1, 1].

    `depth` stride-2 downsamplings (default: as many as `size` allows, log2(size) for a power
    of two: 8 at 256 px, 6 at 64 px, down to a 1x1 bottleneck). Channels width * (1, 2, 4, 8,
    8, ...). No BatchNorm on the outermost and innermost down convs (the innermost sees a 1x1
    map); dropout 0.5 in the three innermost up blocks (the paper's CD512-CD1024-CD1024),
    none with `dropout=False`.
    """

    def __init__(self, in_chans: int, out_chans: int, size: int, width: int = 64,
                 depth: int | None = None, dropout: bool = True):
        super().__init__()
        max_depth = _halvings(size)
        depth = max_depth if depth is None else depth
        if not 2 <= depth <= max_depth:
            raise UserError(f"UNetGenerator depth must be in 2..{max_depth} for size {size} "
                            f"(size divisible by 2^depth), got {depth}")
        chans = [width * min(2 ** i, 8) for i in range(depth)]
        self.depth = depth
        self.downs = nn.ModuleList()
        for i, cout in enumerate(chans):
            if i == 0:
                self.downs.append(nn.Conv2d(in_chans, cout, 4, 2, 1))
                continue
            innermost = i == depth - 1
            block = [nn.LeakyReLU(0.2), nn.Conv2d(chans[i - 1], cout, 4, 2, 1, bias=innermost)]
            self.downs.append(nn.Sequential(*block, *([] if innermost else [nn.BatchNorm2d(cout)])))
        self.ups = nn.ModuleList()  # innermost first
        for i in reversed(range(depth)):
            cin = chans[i] if i == depth - 1 else 2 * chans[i]
            if i == 0:
                self.ups.append(nn.Sequential(
                    nn.ReLU(), nn.ConvTranspose2d(cin, out_chans, 4, 2, 1), nn.Tanh()))
                continue
            block = [nn.ReLU(), nn.ConvTranspose2d(cin, chans[i - 1], 4, 2, 1, bias=False),
                     nn.BatchNorm2d(chans[i - 1])]
            if dropout and i >= depth - 3:
                block.append(nn.Dropout(0.5))
            self.ups.append(nn.Sequential(*block))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for down in self.downs:
            x = down(x)
            skips.append(x)
        x = self.ups[0](skips[-1])
        for up, skip in zip(self.ups[1:], reversed(skips[:-1]), strict=True):
            x = up(torch.cat([x, skip], dim=1))
        return x


class PatchDiscriminator(nn.Module):
    """PatchGAN: images (B, in_chans, H, W) -> (B, 1, H', W') logits, one per overlapping
    patch; with n_layers=3 each sees 70x70 pixels and a 256x256 input gives 30x30. For
    pix2pix, in_chans = condition + output channels (the caller concatenates them).
    `spectral` adds spectral normalisation (Miyato et al. 2018) to every conv; `norm=False`
    leaves out the BatchNorm layers."""

    def __init__(self, in_chans: int, width: int = 64, n_layers: int = 3,
                 spectral: bool = False, norm: bool = True):
        super().__init__()
        if n_layers < 1:
            raise UserError(f"PatchDiscriminator n_layers must be >= 1, got {n_layers}")
        layers: list[nn.Module] = [nn.Conv2d(in_chans, width, 4, 2, 1), nn.LeakyReLU(0.2)]
        cin = width
        for n in range(1, n_layers + 1):
            cout = width * min(2 ** n, 8)
            stride = 2 if n < n_layers else 1
            layers += [nn.Conv2d(cin, cout, 4, stride, 1, bias=False),
                       *([nn.BatchNorm2d(cout)] if norm else []), nn.LeakyReLU(0.2)]
            cin = cout
        layers.append(nn.Conv2d(cin, 1, 4, 1, 1))
        self.net = nn.Sequential(*layers)
        if spectral:
            spectral_norm(self.net)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)
