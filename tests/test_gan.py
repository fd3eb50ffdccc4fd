"""GAN helpers: losses against their formulas, WGAN-GP penalty, DCGAN init, spectral norm,
freezing and the generator EMA."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn
from torch.nn.utils import parametrize

from ferbench.errors import UserError
from ferbench.gan import (
    EMA,
    d_loss,
    dcgan_init,
    g_loss,
    gradient_penalty,
    requires_grad,
    spectral_norm,
)

torch.set_num_threads(1)

REAL = [2.0, -0.5, 0.3]
FAKE = [-1.5, 0.8, 0.0]


def _sigmoid(v: float) -> float:
    return 1 / (1 + math.exp(-v))


def _mean(values) -> float:
    values = list(values)
    return sum(values) / len(values)


EXPECTED_D = {
    "bce": _mean(-math.log(_sigmoid(r)) for r in REAL)
    + _mean(-math.log(1 - _sigmoid(f)) for f in FAKE),
    "hinge": _mean(max(0, 1 - r) for r in REAL) + _mean(max(0, 1 + f) for f in FAKE),
    "wasserstein": _mean(FAKE) - _mean(REAL),
    "lsgan": 0.5 * _mean((r - 1) ** 2 for r in REAL) + 0.5 * _mean(f ** 2 for f in FAKE),
}
EXPECTED_G = {
    "bce": _mean(-math.log(_sigmoid(f)) for f in FAKE),
    "hinge": -_mean(FAKE),
    "wasserstein": -_mean(FAKE),
    "lsgan": 0.5 * _mean((f - 1) ** 2 for f in FAKE),
}


@pytest.mark.parametrize("kind", sorted(EXPECTED_D))
def test_losses_match_formulas(kind):
    real, fake = torch.tensor(REAL), torch.tensor(FAKE)
    assert d_loss(kind, real, fake).item() == pytest.approx(EXPECTED_D[kind], rel=1e-6)
    assert g_loss(kind, fake).item() == pytest.approx(EXPECTED_G[kind], rel=1e-6)


def test_unknown_loss_kind_is_a_user_error():
    with pytest.raises(UserError, match="hinge"):
        d_loss("vanilla", torch.zeros(2), torch.zeros(2))
    with pytest.raises(UserError, match="lsgan"):
        g_loss("wgan", torch.zeros(2))


class LinearCritic(nn.Module):
    """critic(x) = <w, x> (+ <v, onehot(y)>): its input gradient is w, everywhere."""

    def __init__(self, dim: int, scale: float, num_classes: int = 0):
        super().__init__()
        w = torch.randn(dim, generator=torch.Generator().manual_seed(0))
        self.w = nn.Parameter(scale * w / w.norm())
        self.v = nn.Parameter(torch.randn(num_classes)) if num_classes else None

    def forward(self, x, y=None):
        out = x.flatten(1) @ self.w
        return out if y is None else out + self.v[y]


def test_gradient_penalty_zero_for_unit_gradient_norm():
    critic = LinearCritic(3 * 8 * 8, scale=1.0)
    real, fake = torch.randn(4, 3, 8, 8), torch.randn(4, 3, 8, 8)
    assert gradient_penalty(critic, real, fake).item() == pytest.approx(0.0, abs=1e-10)


def test_gradient_penalty_positive_and_trains_the_critic():
    critic = LinearCritic(3 * 8 * 8, scale=2.0, num_classes=5)
    real, fake = torch.randn(4, 3, 8, 8), torch.randn(4, 3, 8, 8)
    penalty = gradient_penalty(critic, real, fake, torch.tensor([0, 1, 2, 4]))
    assert penalty.item() == pytest.approx(1.0, rel=1e-5)  # (||w|| - 1)^2 with ||w|| = 2
    penalty.backward()
    # d/dw (||w|| - 1)^2 = 2 (||w|| - 1) w / ||w|| = w here
    torch.testing.assert_close(critic.w.grad, critic.w.detach())


def test_gradient_penalty_of_a_nonlinear_critic_matches_autograd_by_hand():
    torch.manual_seed(1)
    critic = nn.Sequential(nn.Flatten(), nn.Linear(12, 6), nn.Tanh(), nn.Linear(6, 1))
    real, fake = torch.randn(5, 3, 2, 2), torch.randn(5, 3, 2, 2)
    torch.manual_seed(7)
    penalty = gradient_penalty(critic, real, fake)
    torch.manual_seed(7)
    alpha = torch.rand(5, 1, 1, 1)
    x = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    grads = [torch.autograd.grad(critic(x[i:i + 1]).sum(), x)[0][i] for i in range(5)]
    expected = torch.stack([(g.norm() - 1) ** 2 for g in grads]).mean()
    assert penalty.item() == pytest.approx(expected.item(), rel=1e-5)
    assert penalty.item() > 0


def test_dcgan_init_statistics():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(64, 64, 4), nn.BatchNorm2d(512), nn.ConvTranspose2d(64, 64, 4),
                        nn.Linear(256, 256))
    assert dcgan_init(net) is net
    for layer in (net[0], net[2], net[3]):
        assert layer.weight.std().item() == pytest.approx(0.02, rel=0.03)
        assert abs(layer.weight.mean().item()) < 1e-3
        assert torch.count_nonzero(layer.bias) == 0
    bn = net[1]
    assert bn.weight.mean().item() == pytest.approx(1.0, abs=0.005)
    assert bn.weight.std().item() == pytest.approx(0.02, rel=0.15)
    assert torch.count_nonzero(bn.bias) == 0


def test_spectral_norm_on_every_conv_and_linear():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 8, 3), nn.LeakyReLU(), nn.Sequential(
        nn.ConvTranspose2d(8, 8, 4, 2, 1), nn.BatchNorm2d(8)), nn.Flatten(), nn.LazyLinear(1))
    net(torch.randn(1, 3, 8, 8))  # materialise the lazy linear
    spectral_norm(net)
    layers = [m for m in net.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d,
                                                          nn.Linear))]
    assert len(layers) == 3
    assert all(parametrize.is_parametrized(m, "weight") for m in layers)
    assert not parametrize.is_parametrized(net[2][1])
    for _ in range(30):  # power iterations in training mode
        net(torch.randn(2, 3, 8, 8))
    conv = net[0].weight.flatten(1)
    assert torch.linalg.matrix_norm(conv, ord=2).item() == pytest.approx(1.0, abs=0.02)


def test_requires_grad_as_function_and_context_manager():
    net = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
    net[1].bias.requires_grad_(False)
    with requires_grad(net, False):
        assert not any(p.requires_grad for p in net.parameters())
    assert [p.requires_grad for p in net.parameters()] == [True, True, True, False]
    requires_grad(net, False)
    assert not any(p.requires_grad for p in net.parameters())


def test_ema_follows_the_formula_and_round_trips():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    ema = EMA(net, decay=0.9)
    assert not any(p.requires_grad for p in ema.module.parameters())
    assert not ema.module.training
    with torch.no_grad():
        net[0].weight.add_(1.0)
    ema.update()  # first update copies
    torch.testing.assert_close(ema.module[0].weight, net[0].weight.detach())
    before = ema.module[0].weight.clone()
    with torch.no_grad():
        net[0].weight.mul_(3.0)
    net.train()(torch.randn(8, 3))  # moves the BN running mean (a buffer)
    ema.update()
    torch.testing.assert_close(ema.module[0].weight, 0.9 * before + 0.1 * net[0].weight.detach())
    assert ema.module[1].running_mean.abs().sum() > 0
    other = EMA(nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2)), decay=0.9)
    other.load_state_dict(ema.state_dict())
    torch.testing.assert_close(other.module[0].weight, ema.module[0].weight)
    with pytest.raises(UserError, match="decay"):
        EMA(net, decay=1.5)
