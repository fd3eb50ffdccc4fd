"""DCGAN generator and discriminator: shapes at 32/48/64 px, conditioning, the penultimate
features, the WGAN-GP critic's per-sample independence, uint8 conversion."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from ferbench.errors import UserError
from ferbench.gan import gradient_penalty
from ferbench.models.gan_nets import DCGANDiscriminator, DCGANGenerator, from_uint8, to_uint8

torch.set_num_threads(1)


@pytest.mark.parametrize(("size", "chans", "num_features"),
                         [(32, 1, 32 * 4 * 4), (48, 3, 64 * 3 * 3), (64, 1, 64 * 4 * 4)])
def test_generator_and_discriminator_shapes(size, chans, num_features):
    torch.manual_seed(0)
    g = DCGANGenerator(chans, size, z_dim=16, width=8)
    d = DCGANDiscriminator(chans, size, width=8)
    images = g(g.sample_noise(3))
    assert images.shape == (3, chans, size, size)
    assert images.min() >= -1 and images.max() <= 1
    assert d(images).shape == (3,)
    assert d.features(images).shape == (3, num_features) == (3, d.num_features)


def test_paper_001_feature_size_at_64px():
    d = DCGANDiscriminator(3, 64)  # width 64
    assert d.features(torch.zeros(1, 3, 64, 64)).shape == (1, 8192)


def test_parameter_counts_match_the_pytorch_dcgan_reference():
    assert sum(p.numel() for p in DCGANGenerator(3, 64).parameters()) == 3_576_704
    assert sum(p.numel() for p in DCGANDiscriminator(3, 64).parameters()) == 2_765_568


def test_dcgan_init_applied():
    torch.manual_seed(0)
    g = DCGANGenerator(1, 64, width=32)
    weights = torch.cat([m.weight.flatten() for m in g.modules()
                         if isinstance(m, nn.ConvTranspose2d)])
    assert weights.std().item() == pytest.approx(0.02, rel=0.03)


def test_unconditional_logit_is_the_head_applied_to_the_features():
    torch.manual_seed(0)
    d = DCGANDiscriminator(1, 32, width=4).eval()
    x = torch.randn(2, 1, 32, 32)
    expected = d.features(x) @ d.head.weight.flatten()
    torch.testing.assert_close(d(x), expected)


def test_conditional_generator_uses_labels():
    torch.manual_seed(0)
    g = DCGANGenerator(1, 32, z_dim=8, width=4, num_classes=3).eval()
    z = g.sample_noise(1).repeat(3, 1)
    out = g(z, torch.tensor([0, 1, 2]))
    assert not torch.allclose(out[0], out[1]) and not torch.allclose(out[1], out[2])
    with pytest.raises(UserError, match="labels"):
        g(z)
    with pytest.raises(UserError, match="labels"):
        DCGANGenerator(1, 32, width=4)(z, torch.tensor([0, 1, 2]))


def test_projection_discriminator_formula():
    torch.manual_seed(0)
    d = DCGANDiscriminator(1, 32, width=4, num_classes=5).eval()
    x, y = torch.randn(3, 1, 32, 32), torch.tensor([4, 0, 2])
    h = d.body(x)
    expected = d.head(h).flatten() + (d.embed.weight[y] * h.sum(dim=(2, 3))).sum(1)
    torch.testing.assert_close(d(x, y), expected)
    assert not torch.allclose(d(x, y), d(x, torch.tensor([1, 1, 1])))


def _cross_sample_gradient(d: nn.Module) -> float:
    x = torch.randn(4, 1, 32, 32, requires_grad=True)
    d(x)[0].backward()
    return x.grad[1:].abs().sum().item()


def test_critic_without_batch_norm_scores_samples_independently():
    torch.manual_seed(0)
    for norm in ("layer", "none"):
        critic = DCGANDiscriminator(1, 32, width=4, norm=norm)
        assert not any(isinstance(m, nn.BatchNorm2d) for m in critic.modules())
        assert _cross_sample_gradient(critic) == 0.0
    batch_norm = DCGANDiscriminator(1, 32, width=4, norm="batch")
    assert _cross_sample_gradient(batch_norm) > 0  # why WGAN-GP avoids batch norm
    critic = DCGANDiscriminator(1, 32, width=4, norm="layer", num_classes=2)
    penalty = gradient_penalty(critic, torch.randn(2, 1, 32, 32), torch.randn(2, 1, 32, 32),
                               torch.tensor([0, 1]))
    assert penalty.item() > 0


def test_bad_arguments_are_user_errors():
    with pytest.raises(UserError, match="size"):
        DCGANGenerator(1, 50)
    with pytest.raises(UserError, match="size"):
        DCGANDiscriminator(1, 16)
    with pytest.raises(UserError, match="norm"):
        DCGANDiscriminator(1, 32, norm="instance")


def test_uint8_conversion():
    assert to_uint8(torch.tensor([-1.0, 0.0, 1.0, 2.0])).tolist() == [0, 128, 255, 255]
    u = torch.arange(256, dtype=torch.uint8)
    assert torch.equal(to_uint8(from_uint8(u)), u)
    x = from_uint8(u)
    assert x.dtype == torch.float32 and x.min() == -1 and x.max() == 1
