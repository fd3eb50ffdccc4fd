"""The four networks of Wang (2021), section 3, at 48x48 and any channel count.

- G_f `FeatureExtractor`: ResNet-18 (timm) with a 3x3 stride-1 stem conv + BN + ReLU and no
  stem max-pooling, four residual stages, average pooling to the 8 * width feature (512 at
  the paper's width 64), dropout.
- G_c `Classifier`: two fully connected layers; the softmax is in the loss and the metrics.
- G_h `FeatureSynthesizer`: the encoder mirrored, upsampling + convolutions from G_f's last
  feature map back to an image in [-1, 1].
- G_d `Discriminator`: VGG-16-shaped (2 x [conv, conv, max-pool], 3 x [conv, conv, conv,
  max-pool], three fully connected layers), LeakyReLU after every layer, one real/fake logit.

`width` scales every network's channels (the paper's networks are width 64).
"""

from __future__ import annotations

from functools import partial

import torch
from ferbench.models.gan_nets import from_uint8
from timm.models.resnet import BasicBlock, ResNet
from torch import nn
from torchvision.ops import Conv2dNormActivation

LEAKY = partial(nn.LeakyReLU, 0.2)
VGG16_STAGES = (2, 2, 3, 3, 3)  # convolutions per stage, each stage ends in 2x2 max-pooling
VGG16_WIDTHS = (1, 2, 4, 8, 8)  # x width
MIRROR_UPSAMPLINGS = 3  # G_f's stages 2-4 halve the resolution; G_h doubles it back


class FeatureExtractor(nn.Module):
    """G_f: float images (B, C, H, W) -> (B, 8 * width) features, via `maps` (the last
    stage's (B, 8 * width, H / 8, W / 8) map) and `pool` (average pooling, then dropout)."""

    def __init__(self, in_chans: int, width: int, dropout: float):
        super().__init__()
        # timm sizes bn1 and stage 1 to `width` only for a "deep" stem (2 * stem_width
        # channels); its three strided convs are then replaced by the paper's single 3x3 conv
        self.resnet = ResNet(BasicBlock, (2, 2, 2, 2), num_classes=0, in_chans=in_chans,
                             stem_type="deep", stem_width=width // 2,
                             channels=tuple(width * m for m in (1, 2, 4, 8)), global_pool="")
        self.resnet.conv1 = nn.Conv2d(in_chans, width, 3, stride=1, padding=1, bias=False)
        self.resnet.maxpool = nn.Identity()
        self.num_features = 8 * width
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(dropout)

    def maps(self, x: torch.Tensor) -> torch.Tensor:
        return self.resnet.forward_features(x)

    def pool(self, maps: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.avgpool(maps).flatten(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(self.maps(x))


def classifier(num_features: int, hidden: int, num_classes: int) -> nn.Sequential:
    """G_c: two fully connected layers with a ReLU between them; logits out."""
    return nn.Sequential(nn.Linear(num_features, hidden), nn.ReLU(inplace=True),
                         nn.Linear(hidden, num_classes))


class FeatureSynthesizer(nn.Sequential):
    """G_h: G_f's (B, 8 * width, H / 8, W / 8) map -> images (B, out_chans, H, W) in [-1, 1].
    Mirrors the encoder: per halving of G_f, 2x nearest upsampling and two 3x3 conv + BN +
    ReLU halving the channels; then two 3x3 conv + BN + ReLU at full resolution (stage 1's
    mirror) and a 3x3 conv + tanh to the image (the stem's mirror)."""

    def __init__(self, out_chans: int, width: int):
        layers: list[nn.Module] = []
        chans = 8 * width
        for _ in range(MIRROR_UPSAMPLINGS):
            layers += [nn.Upsample(scale_factor=2, mode="nearest"),
                       Conv2dNormActivation(chans, chans // 2, 3),
                       Conv2dNormActivation(chans // 2, chans // 2, 3)]
            chans //= 2
        layers += [Conv2dNormActivation(chans, chans, 3), Conv2dNormActivation(chans, chans, 3),
                   nn.Conv2d(chans, out_chans, 3, padding=1), nn.Tanh()]
        super().__init__(*layers)


class Discriminator(nn.Module):
    """G_d: images (B, C, H, W) in [-1, 1] -> (B,) real/fake logits. VGG-16's 13 3x3 convs in
    five max-pooled stages (width x 1, 2, 4, 8, 8 channels), then three fully connected
    layers (64 * width hidden units: VGG-16's 4096 at width 64); LeakyReLU 0.2 throughout,
    no normalisation, He initialisation. The paper's final softmax over {real, fake} is the sigmoid of the
    logit inside the BCE loss."""

    def __init__(self, in_chans: int, size: int, width: int):
        super().__init__()
        layers: list[nn.Module] = []
        chans = in_chans
        for convs, multiple in zip(VGG16_STAGES, VGG16_WIDTHS, strict=True):
            for _ in range(convs):
                layers.append(Conv2dNormActivation(chans, width * multiple, 3, norm_layer=None,
                                                   activation_layer=LEAKY))
                chans = width * multiple
            layers.append(nn.MaxPool2d(2))
            size //= 2
        self.features = nn.Sequential(*layers)
        hidden = 64 * width
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(chans * size * size, hidden), LEAKY(),
                                  nn.Linear(hidden, hidden), LEAKY(), nn.Linear(hidden, 1))
        for m in self.modules():  # He init for LeakyReLU: 16 unnormalised layers stay trainable
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(m.weight, a=0.2, nonlinearity="leaky_relu")
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x)).flatten()


class Recognizer(nn.Module):
    """G_c(G_f(x)) on uint8 images: what is timed and counted at inference."""

    def __init__(self, extractor: FeatureExtractor, head: nn.Sequential):
        super().__init__()
        self.extractor, self.head = extractor, head

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.extractor(from_uint8(images)))
