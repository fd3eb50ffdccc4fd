"""Paper 002's VGG-16: Simonyan & Zisserman's configuration D without batch norm (timm
`vgg16`), trained from scratch; ResNet-50 is the core's timm baseline."""

from __future__ import annotations

import timm
from ferbench import DatasetInfo
from ferbench.errors import UserError
from timm.models.vgg import VGG, cfgs
from torch import nn


def vgg16(info: DatasetInfo, width: float = 1.0, **options) -> nn.Module:
    """VGG-16 without batch norm, logits for `info.num_outputs` classes (nothing downloads).
    `width` scales every convolution's channels (64, 128, 256, 512, 512 at 1; 8 to 64 at
    0.125); fc6's units scale with timm's `mlp_ratio`, a separate option."""
    if width == 1.0:
        return timm.create_model("vgg16", pretrained=False, num_classes=info.num_outputs,
                                 in_chans=info.in_chans, **options)
    cfg = [v if v == "M" else round(v * width) for v in cfgs["vgg16"]]
    if not 0 < width < 1 or min(v for v in cfg if v != "M") < 1:
        raise UserError(f"model vgg16: -o model.width={width}: expected a factor in (0, 1] "
                        "that leaves every convolution at least one channel")
    return VGG(cfg, num_classes=info.num_outputs, in_chans=info.in_chans, **options)
