"""timm VGG and ResNet baselines, trained from scratch (nothing is downloaded)."""

from __future__ import annotations

import timm
from torch import nn

from ..data.info import DatasetInfo


def _create(timm_name: str, info: DatasetInfo, options: dict) -> nn.Module:
    return timm.create_model(timm_name, pretrained=False, num_classes=info.num_outputs,
                             in_chans=info.in_chans, **options)


def vgg11(info: DatasetInfo, **options) -> nn.Module:
    return _create("vgg11_bn", info, options)


def vgg13(info: DatasetInfo, **options) -> nn.Module:
    return _create("vgg13_bn", info, options)


def vgg16(info: DatasetInfo, **options) -> nn.Module:
    return _create("vgg16_bn", info, options)


def vgg19(info: DatasetInfo, **options) -> nn.Module:
    return _create("vgg19_bn", info, options)


def resnet18(info: DatasetInfo, **options) -> nn.Module:
    return _create("resnet18", info, options)


def resnet34(info: DatasetInfo, **options) -> nn.Module:
    return _create("resnet34", info, options)


def resnet50(info: DatasetInfo, **options) -> nn.Module:
    return _create("resnet50", info, options)
