"""The multiscale convolutional attention residual network (Wang & Zhang, paper 003).

Stem (conv + BN + ReLU, max-pool, SE) -> residual blocks separated by max-pooling ->
global average pooling -> fully connected logits. Each residual block's main path is the
multiscale module (Figure 2) followed by conv + BN + SE (Figure 3); its skip connection is
the identity, or a 1x1 conv + BN where the channel count changes.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import torch
from ferbench.errors import UserError
from timm.layers import ClassifierHead, SEModule
from torch import nn
from torchvision.ops import Conv2dNormActivation

LAYOUTS = ("serial", "parallel")

DEFAULTS: dict[str, Any] = {
    "stem_width": 64,
    "widths": (64, 128, 256),
    "kernel_sizes": (1, 3, 5),
    "se_reduction": 8,
    "se_bias": True,
    "branch_se": True,
    "branch_bn": True,
    "branch_layout": "serial",
    "dropout": 0.0,
}


def squeeze_excite(channels: int, reduction: int, bias: bool = True) -> SEModule:
    """SE block of formulas 1-3: average pool, FC to c/r + ReLU, FC to c + sigmoid, scale.
    `bias=False` drops the two FC layers' biases, as formula 2 writes them (W2 δ(W1 z));
    Hu et al.'s SE and timm's have them."""
    return SEModule(channels, rd_channels=max(1, channels // reduction), bias=bias)


SEFactory = Callable[[int], nn.Module]  # channels -> an SE module


def serial_branch(in_chans: int, out_chans: int, kernel_size: int, *, bn: bool, se: bool,
                  make_se: SEFactory) -> nn.Sequential:
    """One scale of the multiscale module: conv -> BN -> ReLU -> SE."""
    norm = nn.BatchNorm2d if bn else None
    layers = [Conv2dNormActivation(in_chans, out_chans, kernel_size, norm_layer=norm)]
    if se:
        layers.append(make_se(out_chans))
    return nn.Sequential(*layers)


class ParallelBranch(nn.Module):
    """One scale of the multiscale module read literally: conv, then BN and SE side by side
    on the conv output, summed, then ReLU (the conv output itself when both are off)."""

    def __init__(self, in_chans: int, out_chans: int, kernel_size: int, *, bn: bool, se: bool,
                 make_se: SEFactory):
        super().__init__()
        self.conv = nn.Conv2d(in_chans, out_chans, kernel_size, padding=kernel_size // 2)
        self.bn = nn.BatchNorm2d(out_chans) if bn else None
        self.se = make_se(out_chans) if se else None
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv(x)
        paths = [m(h) for m in (self.bn, self.se) if m is not None]
        return self.act(sum(paths) if paths else h)


class MultiScaleConv(nn.Module):
    """Figure 2: parallel convolutions of several kernel sizes, each with BN and SE,
    concatenated along the channels."""

    def __init__(self, in_chans: int, branch_chans: int, kernel_sizes: tuple[int, ...], *,
                 bn: bool, se: bool, make_se: SEFactory, layout: str):
        super().__init__()
        make = serial_branch if layout == "serial" else ParallelBranch
        self.branches = nn.ModuleList(
            make(in_chans, branch_chans, k, bn=bn, se=se, make_se=make_se)
            for k in kernel_sizes)
        self.out_chans = branch_chans * len(kernel_sizes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([branch(x) for branch in self.branches], dim=1)


class MultiScaleResidualBlock(nn.Module):
    """Figure 3: multiscale module -> 3x3 conv + BN -> SE, added to the skip path, ReLU."""

    def __init__(self, in_chans: int, width: int, kernel_sizes: tuple[int, ...], *,
                 branch_bn: bool, branch_se: bool, make_se: SEFactory, layout: str):
        super().__init__()
        self.multiscale = MultiScaleConv(in_chans, width, kernel_sizes, bn=branch_bn,
                                         se=branch_se, make_se=make_se, layout=layout)
        self.fuse = Conv2dNormActivation(self.multiscale.out_chans, width, 3,
                                         activation_layer=None)
        self.se = make_se(width)
        self.shortcut = nn.Identity() if in_chans == width else \
            Conv2dNormActivation(in_chans, width, 1, activation_layer=None)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.se(self.fuse(self.multiscale(x))) + self.shortcut(x))


class MSCAResNet(nn.Module):
    """Figure 4: stem, SE, residual blocks with max-pooling between them, GAP, FC."""

    def __init__(self, in_chans: int, num_classes: int, *, stem_width: int,
                 widths: tuple[int, ...], kernel_sizes: tuple[int, ...], se_reduction: int,
                 se_bias: bool, branch_se: bool, branch_bn: bool, branch_layout: str,
                 dropout: float):
        super().__init__()
        make_se = partial(squeeze_excite, reduction=se_reduction, bias=se_bias)
        self.stem = nn.Sequential(Conv2dNormActivation(in_chans, stem_width, 3),
                                  nn.MaxPool2d(2), make_se(stem_width))
        layers: list[nn.Module] = []
        chans = stem_width
        for i, width in enumerate(widths):
            if i:
                layers.append(nn.MaxPool2d(2))
            layers.append(MultiScaleResidualBlock(
                chans, width, kernel_sizes, branch_bn=branch_bn, branch_se=branch_se,
                make_se=make_se, layout=branch_layout))
            chans = width
        self.blocks = nn.Sequential(*layers)
        self.head = ClassifierHead(chans, num_classes, pool_type="avg", drop_rate=dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.blocks(self.stem(x)))


def _fail(name: str, value: Any, expected: str) -> UserError:
    return UserError(f"model option {name}={value!r}: expected {expected}")


def _int(name: str, value: Any, minimum: int = 1) -> int:
    try:
        number = int(str(value).strip()) if not isinstance(value, bool) else None
    except ValueError:
        number = None
    if number is None or number < minimum:
        raise _fail(name, value, f"an integer >= {minimum}")
    return number


def _ints(name: str, value: Any, odd: bool = False) -> tuple[int, ...]:
    items = value.strip("[]() ").split(",") if isinstance(value, str) else value
    if isinstance(items, int) and not isinstance(items, bool):
        items = [items]
    expected = "a comma-separated list of positive " + ("odd integers" if odd else "integers")
    try:
        numbers = tuple(_int(name, item) for item in items)
    except (TypeError, UserError):
        raise _fail(name, value, expected) from None
    if not numbers or (odd and any(n % 2 == 0 for n in numbers)):
        raise _fail(name, value, expected)
    return numbers


def _flag(name: str, value: Any) -> bool:
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off"):
        return False
    raise _fail(name, value, "true or false")


def _layout(name: str, value: Any) -> str:
    if value not in LAYOUTS:
        raise _fail(name, value, " or ".join(LAYOUTS))
    return value


def _dropout(name: str, value: Any) -> float:
    try:
        rate = float(value)
    except (TypeError, ValueError):
        rate = -1.0
    if not 0.0 <= rate < 1.0:
        raise _fail(name, value, "a probability in [0, 1)")
    return rate


PARSERS = {
    "stem_width": _int, "widths": _ints, "kernel_sizes": lambda n, v: _ints(n, v, odd=True),
    "se_reduction": _int, "se_bias": _flag, "branch_se": _flag, "branch_bn": _flag,
    "branch_layout": _layout,
    "dropout": _dropout,
}


def parse_options(options: dict[str, Any]) -> dict[str, Any]:
    """Defaults updated with `options` (strings from the command line allowed), validated."""
    unknown = sorted(set(options) - set(DEFAULTS))
    if unknown:
        raise UserError(f"unknown model option(s) {', '.join(unknown)}; "
                        f"expected some of {', '.join(DEFAULTS)}")
    merged = {**DEFAULTS, **options}
    return {name: PARSERS[name](name, value) for name, value in merged.items()}


def build(info, **options) -> MSCAResNet:
    """The full model (SE and BN in the multiscale branches) for a ferbench DatasetInfo."""
    return MSCAResNet(info.in_chans, info.num_classes, **parse_options(options))


def build_nose(info, **options) -> MSCAResNet:
    """Table 3 ablation: BN but no SE in the multiscale branches."""
    return build(info, **{"branch_se": False, **options})


def build_nobn(info, **options) -> MSCAResNet:
    """Table 3 ablation: SE but no BN in the multiscale branches."""
    return build(info, **{"branch_bn": False, **options})


def build_plain(info, **options) -> MSCAResNet:
    """Table 3 ablation: neither SE nor BN in the multiscale branches."""
    return build(info, **{"branch_se": False, "branch_bn": False, **options})
