"""GAN building blocks: adversarial losses, gradient penalty, DCGAN init, spectral norm,
freezing and an exponential moving average of the generator.

The losses take raw discriminator outputs (logits / critic values) of any shape and return
a scalar mean; weights such as WGAN-GP's lambda = 10 are the caller's.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm as _spectral_norm
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from .errors import UserError

LOSS_KINDS = ("bce", "hinge", "wasserstein", "lsgan")


def _check_kind(kind: str) -> None:
    if kind not in LOSS_KINDS:
        raise UserError(f"GAN loss kind {kind!r} unknown; expected one of {', '.join(LOSS_KINDS)}")


def d_loss(kind: str, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Discriminator (critic) loss, to be minimised.

    bce: -log D(x) - log(1 - D(G(z))), Goodfellow et al. 2014;
    hinge: relu(1 - D(x)) + relu(1 + D(G(z))), Lim & Ye 2017 / Miyato et al. 2018;
    wasserstein: D(G(z)) - D(x), Arjovsky et al. 2017 (add `gradient_penalty` for WGAN-GP);
    lsgan: (D(x) - 1)^2 / 2 + D(G(z))^2 / 2, Mao et al. 2017.
    """
    _check_kind(kind)
    if kind == "bce":
        return (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
                + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))
    if kind == "hinge":
        return F.relu(1 - real_logits).mean() + F.relu(1 + fake_logits).mean()
    if kind == "wasserstein":
        return fake_logits.mean() - real_logits.mean()
    return 0.5 * (F.mse_loss(real_logits, torch.ones_like(real_logits))
                  + F.mse_loss(fake_logits, torch.zeros_like(fake_logits)))


def g_loss(kind: str, fake_logits: torch.Tensor) -> torch.Tensor:
    """Generator loss, to be minimised.

    bce: the non-saturating -log D(G(z)) (Goodfellow et al. 2014); hinge and wasserstein:
    -D(G(z)); lsgan: (D(G(z)) - 1)^2 / 2.
    """
    _check_kind(kind)
    if kind == "bce":
        return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))
    if kind in ("hinge", "wasserstein"):
        return -fake_logits.mean()
    return 0.5 * F.mse_loss(fake_logits, torch.ones_like(fake_logits))


def gradient_penalty(critic: nn.Module, real: torch.Tensor, fake: torch.Tensor,
                     *cond) -> torch.Tensor:
    """WGAN-GP penalty (Gulrajani et al. 2017): mean of (||grad_x critic(x_hat)||_2 - 1)^2 at
    x_hat = a * real + (1 - a) * fake, a ~ U(0, 1) per sample. `cond` (e.g. labels) is passed
    to the critic after x_hat. The graph is kept so the penalty trains the critic."""
    alpha = torch.rand((real.shape[0],) + (1,) * (real.dim() - 1), device=real.device,
                       dtype=real.dtype)
    x_hat = (alpha * real.detach() + (1 - alpha) * fake.detach()).requires_grad_(True)
    scores = critic(x_hat, *cond)
    (grad,) = torch.autograd.grad(scores.sum(), x_hat, create_graph=True)
    return ((grad.flatten(1).norm(2, dim=1) - 1) ** 2).mean()


_CONVS = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d,
          nn.ConvTranspose3d)
_BATCH_NORMS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)


def dcgan_init(module: nn.Module) -> nn.Module:
    """DCGAN initialisation (Radford et al. 2016), in place: conv, transposed-conv and linear
    weights ~ N(0, 0.02) with zero bias; BatchNorm weight ~ N(1, 0.02), bias 0.
    Returns `module`."""
    for m in module.modules():
        if isinstance(m, (*_CONVS, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, _BATCH_NORMS):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)
    return module


def spectral_norm(module: nn.Module) -> nn.Module:
    """Spectral normalisation (Miyato et al. 2018) of every conv, transposed conv and linear
    layer inside `module` (itself included), via torch's parametrization. Returns `module`."""
    for m in list(module.modules()):
        if isinstance(m, (*_CONVS, nn.Linear)):
            _spectral_norm(m)
    return module


class requires_grad:
    """Set `requires_grad` of every parameter of `module` to `flag` (e.g. freeze D while G
    steps). Used as a context manager, the previous flags come back on exit."""

    def __init__(self, module: nn.Module, flag: bool):
        self._saved = [(p, p.requires_grad) for p in module.parameters()]
        for p, _ in self._saved:
            p.requires_grad_(flag)

    def __enter__(self) -> requires_grad:
        return self

    def __exit__(self, *exc) -> None:
        for p, flag in self._saved:
            p.requires_grad_(flag)


class EMA:
    """Exponential moving average of a module's parameters and buffers, as used for
    generators in progressive GAN / StyleGAN (Karras et al. 2018): after each step
    `update()` sets avg = decay * avg + (1 - decay) * current (the first call copies the
    current weights). Built on torch.optim.swa_utils.AveragedModel; `module` is the averaged
    copy (eval mode, frozen)."""

    def __init__(self, module: nn.Module, decay: float = 0.999):
        if not 0.0 <= decay < 1.0:
            raise UserError(f"EMA decay must be in [0, 1), got {decay}")
        self.source = module
        self.decay = decay
        self.averaged = AveragedModel(module, multi_avg_fn=get_ema_multi_avg_fn(decay),
                                      use_buffers=True)
        self.averaged.requires_grad_(False)
        self.averaged.eval()

    @property
    def module(self) -> nn.Module:
        return self.averaged.module

    @torch.no_grad()
    def update(self) -> None:
        self.averaged.update_parameters(self.source)

    def state_dict(self) -> dict:
        return self.averaged.state_dict()

    def load_state_dict(self, state: dict) -> None:
        self.averaged.load_state_dict(state)
