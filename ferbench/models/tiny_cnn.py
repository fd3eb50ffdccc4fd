"""A three-layer CNN (about 30k parameters) for tests and smoke runs."""

from __future__ import annotations

from torch import nn

from ..data.info import DatasetInfo
from ..errors import UserError


def build(info: DatasetInfo, width: int = 16, **options) -> nn.Module:
    if options:
        raise UserError(f"tiny-cnn: unknown option(s) {', '.join(options)}; expected width")
    width = int(width)

    def block(cin: int, cout: int) -> list[nn.Module]:
        return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout),
                nn.ReLU(inplace=True), nn.MaxPool2d(2)]

    return nn.Sequential(*block(info.in_chans, width), *block(width, 2 * width),
                         *block(2 * width, 4 * width), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(4 * width, info.num_outputs))
