"""Paper 002's VGG-16: Simonyan & Zisserman's configuration D without batch norm (timm
`vgg16`), trained from scratch; ResNet-50 is the core's timm baseline."""

from __future__ import annotations

import timm
from ferbench import DatasetInfo
from torch import nn


def vgg16(info: DatasetInfo, **options) -> nn.Module:
    """VGG-16 without batch norm, logits for `info.num_outputs` classes (nothing downloads)."""
    return timm.create_model("vgg16", pretrained=False, num_classes=info.num_outputs,
                             in_chans=info.in_chans, **options)
