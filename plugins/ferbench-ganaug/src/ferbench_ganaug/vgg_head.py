"""timm's VGG head with fc6 folded for a 1x1 feature map. The head (`ConvMlp`) average-pools
a map smaller than 7x7 up to 7x7 and applies fc6 as a 7x7 convolution; a 1x1 map (inputs of
32 to 63 px) is thereby copied to all 49 positions, so fc6's output is its weight summed
over the 49 positions times that one vector. `FoldedVGGHead` computes exactly that with a
512 -> 4096 linear layer: the same activations with 1/49 of fc6's weights and work."""

from __future__ import annotations

import torch
from timm.models.vgg import ConvMlp
from torch import nn


def folds_to_one_pixel(vgg: nn.Module, size: int) -> bool:
    """Whether a `size` px input leaves a 1x1 map before the head: VGG's stride-2 max-pools
    floor the size, down to `size // reduction`."""
    return size // vgg.feature_info[-1]["reduction"] == 1


class FoldedVGGHead(nn.Module):
    """A VGG `ConvMlp` for (B, C, 1, 1) maps: fc6 summed over its 7x7 kernel as a linear
    layer, then the original ReLU, dropout, fc7 and ReLU; output (B, 4096, 1, 1)."""

    def __init__(self, mlp: ConvMlp):
        super().__init__()
        conv = mlp.fc1
        # skip_init: no initialisation, so folding draws no random numbers and a seeded
        # random-init run builds the same later backbones as without the fold
        self.fc6 = nn.utils.skip_init(nn.Linear, conv.in_channels, conv.out_channels)
        with torch.no_grad():
            self.fc6.weight.copy_(conv.weight.sum(dim=(2, 3)))
            self.fc6.bias.copy_(conv.bias)
        self.fc6.requires_grad_(conv.weight.requires_grad)
        self.act1, self.drop, self.fc7, self.act2 = mlp.act1, mlp.drop, mlp.fc2, mlp.act2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-2:] != (1, 1):
            raise ValueError(f"FoldedVGGHead: expected a 1x1 feature map, got "
                             f"{tuple(x.shape[-2:])}; fc6 folds only for a 1x1 map")
        x = self.drop(self.act1(self.fc6(x.flatten(1))))
        return self.act2(self.fc7(x[:, :, None, None]))
