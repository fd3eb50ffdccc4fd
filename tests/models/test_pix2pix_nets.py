"""pix2pix U-Net and PatchGAN: depth, skips, dropout placement, 30x30 output at 256 px and
the 70x70 receptive field."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn.utils import parametrize

from ferbench.errors import UserError
from ferbench.models.pix2pix_nets import PatchDiscriminator, UNetGenerator

torch.set_num_threads(1)


def _convs(module: nn.Module, kind=nn.Conv2d) -> list[nn.Module]:
    return [m for m in module.modules() if isinstance(m, kind)]


def test_unet_at_64px():
    torch.manual_seed(0)
    g = UNetGenerator(4, 3, 64, width=8)
    assert g.depth == 6 and len(_convs(g.downs)) == 6
    out = g(torch.randn(2, 4, 64, 64))
    assert out.shape == (2, 3, 64, 64)
    assert out.min() >= -1 and out.max() <= 1
    assert isinstance(g.ups[-1][-1], nn.Tanh)
    # dropout in exactly the three innermost up blocks
    assert [any(isinstance(m, nn.Dropout) and m.p == 0.5 for m in up.modules())
            for up in g.ups] == [True, True, True, False, False, False]
    # 4x4 stride-2 convs; each up block after the innermost takes the concatenated skip
    assert all(c.kernel_size == (4, 4) and c.stride == (2, 2) for c in _convs(g))
    down_chans = [c.out_channels for c in _convs(g.downs)]
    assert down_chans == [8, 16, 32, 64, 64, 64]
    up_in = [c.in_channels for c in _convs(g.ups, nn.ConvTranspose2d)]
    assert up_in == [64] + [2 * c for c in reversed(down_chans[:-1])]


def test_unet_skips_carry_fine_detail():
    """The outermost skip reaches the output: a pixel change moves nearby outputs even with
    the bottleneck path cut."""
    torch.manual_seed(0)
    g = UNetGenerator(1, 1, 32, width=4).eval()
    nn.init.zeros_(g.ups[0][1].weight)  # the innermost block now outputs BN's bias, 0
    x = torch.randn(1, 1, 32, 32)
    y = x.clone()
    y[0, 0, 10, 10] += 5
    assert not torch.allclose(g(x)[0, 0, 8:13, 8:13], g(y)[0, 0, 8:13, 8:13])


def _params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_unet_at_256px_forward_shape():
    g = UNetGenerator(4, 3, 256).eval()
    assert g.depth == 8 and len(_convs(g.downs)) == 8
    # the authors' unet_256 (3 -> 3 channels) has 54,414,531 parameters; 4 inputs add 1,024
    assert _params(g) == 54_414_531 + 64 * 4 * 4
    with torch.no_grad():
        assert g(torch.randn(1, 4, 256, 256)).shape == (1, 3, 256, 256)


def test_unet_bad_depth():
    with pytest.raises(UserError, match="depth"):
        UNetGenerator(1, 1, 64, depth=7)


def test_patch_discriminator_30x30_at_256():
    d = PatchDiscriminator(7).eval()
    assert _params(d) == 2_768_705 + 64 * 4 * 4  # the authors' basic D on 6 channels, +1
    with torch.no_grad():
        assert d(torch.randn(1, 7, 256, 256)).shape == (1, 1, 30, 30)


def test_patch_discriminator_receptive_field_is_70():
    torch.manual_seed(0)
    d = PatchDiscriminator(1, width=4).eval()
    x = torch.randn(1, 1, 128, 128, requires_grad=True)
    out = d(x)
    assert out.shape == (1, 1, 14, 14)
    out[0, 0, 7, 7].backward()
    rows = x.grad[0, 0].abs().sum(1).nonzero().flatten()
    cols = x.grad[0, 0].abs().sum(0).nonzero().flatten()
    assert rows.max() - rows.min() + 1 == 70
    assert cols.max() - cols.min() + 1 == 70


def test_patch_discriminator_spectral_norm():
    d = PatchDiscriminator(2, width=4, spectral=True)
    convs = _convs(d)
    assert len(convs) == 5
    assert all(parametrize.is_parametrized(c, "weight") for c in convs)
    assert not any(parametrize.is_parametrized(c) for c in _convs(PatchDiscriminator(2, width=4)))
