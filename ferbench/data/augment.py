"""Batched augmentation on the training device (kornia.augmentation) with per-sample random
parameters drawn from a caller-seeded CPU `torch.Generator` (kornia's own sampling only
follows torch's global RNG) and handed to kornia's modules as `params`.

Semantics follow `transforms.train_transform`: horizontal flip with p = 0.5, then an affine
warp with angle ~ U(-rotate, rotate) degrees, shift ~ U(-shift, shift) of the width and
height (sub-pixel, where torchvision rounds to whole pixels) and isotropic scale ~
U(max(0.05, 1 - zoom), 1 + zoom) about the image centre. The warp is bilinear with a zero
(black) border; torchvision's RandomAffine default is nearest.
"""

from __future__ import annotations

from dataclasses import dataclass

import kornia.augmentation as K
import torch

from ..errors import UserError

AUGMENT_KEYS = ("hflip", "shift", "rotate", "zoom")


@dataclass(frozen=True)
class AugmentParams:
    """Per-sample parameters of one call (CPU tensors, batch size B)."""

    flip: torch.Tensor  # bool (B,)
    angle: torch.Tensor  # degrees (B,)
    shift: torch.Tensor  # (B, 2): x, y as fractions of the width and height
    scale: torch.Tensor  # (B,)


class BatchAugment:
    """Augment (B, C, H, W) batches from an `augment` dict (hflip, shift, rotate, zoom)."""

    def __init__(self, augment: dict):
        unknown = sorted(set(augment) - set(AUGMENT_KEYS))
        if unknown:
            raise UserError(f"unknown option augment.{unknown[0]}: expected one of "
                            f"{', '.join(AUGMENT_KEYS)}")
        self.hflip = bool(augment.get("hflip", False))
        self.shift, self.rotate, self.zoom = (float(augment.get(k, 0.0))
                                              for k in ("shift", "rotate", "zoom"))
        self.scale_range = (max(0.05, 1 - self.zoom), 1 + self.zoom)
        # p = 0.5 so that kornia honours the per-sample flip mask passed as `batch_prob`
        self._flip = K.RandomHorizontalFlip(p=0.5) if self.hflip else None
        self._affine = None
        if self.shift or self.rotate or self.zoom:
            self._affine = K.RandomAffine(
                degrees=self.rotate, translate=(self.shift, self.shift) if self.shift else None,
                scale=self.scale_range if self.zoom else None, resample="bilinear",
                padding_mode="zeros", align_corners=False, p=1.0)

    def __bool__(self) -> bool:
        return self._flip is not None or self._affine is not None

    def __repr__(self) -> str:
        return (f"BatchAugment(hflip={self.hflip}, shift={self.shift}, rotate={self.rotate}, "
                f"zoom={self.zoom})")

    def sample(self, batch: int, generator: torch.Generator | None = None) -> AugmentParams:
        """Draw the parameters of `batch` samples (identity values where not configured)."""
        def uniform(*shape: int) -> torch.Tensor:
            return torch.rand(shape, generator=generator)

        flip = uniform(batch) < 0.5
        angle = (uniform(batch) * 2 - 1) * self.rotate
        shift = (uniform(batch, 2) * 2 - 1) * self.shift
        low, high = self.scale_range if self.zoom else (1.0, 1.0)
        scale = low + uniform(batch) * (high - low)
        return AugmentParams(flip & self.hflip, angle, shift, scale)

    def __call__(self, *images: torch.Tensor,
                 generator: torch.Generator | None = None) -> tuple[torch.Tensor, ...]:
        """Each (B, C, H, W) tensor augmented with the same per-sample parameters; outputs keep
        each input's dtype and device."""
        if not images:
            raise ValueError("BatchAugment needs at least one image batch")
        return self.apply(images, self.sample(len(images[0]), generator))

    def apply(self, images: tuple[torch.Tensor, ...] | list[torch.Tensor],
              params: AugmentParams) -> tuple[torch.Tensor, ...]:
        """`images` warped with `params`; tensors of one spatial size are warped together."""
        batch, device = len(params.flip), images[0].device
        for x in images:
            if x.ndim != 4 or len(x) != batch or x.device != device:
                raise ValueError(f"expected (B={batch}, C, H, W) batches on {device}, got "
                                 f"{tuple(x.shape)} on {x.device}")
        if not self:
            return tuple(images)
        groups: dict[tuple[int, int], list[int]] = {}
        for i, x in enumerate(images):
            groups.setdefault(tuple(x.shape[-2:]), []).append(i)
        out: list[torch.Tensor] = list(images)
        for members in groups.values():
            work = torch.cat([images[i].float() for i in members], dim=1)
            work = self._warp(work, params)
            parts = work.split([images[i].shape[1] for i in members], dim=1)
            for i, part in zip(members, parts, strict=True):
                out[i] = _cast(part, images[i].dtype)
        return tuple(out)

    def _warp(self, x: torch.Tensor, params: AugmentParams) -> torch.Tensor:
        batch, _, height, width = x.shape
        shape = torch.tensor(x.shape)
        if self._flip is not None:
            x = self._flip(x, params={"batch_prob": params.flip.to(x.device),
                                      "forward_input_shape": shape})
        if self._affine is not None:
            size = torch.tensor([width, height], dtype=x.dtype)
            zeros = torch.zeros(batch, dtype=x.dtype)
            affine = {"translations": params.shift.to(x.dtype) * size,
                      "center": (size / 2 - 0.5).expand(batch, 2),
                      "scale": params.scale.to(x.dtype)[:, None].expand(batch, 2),
                      "angle": params.angle.to(x.dtype), "shear_x": zeros, "shear_y": zeros,
                      "batch_prob": torch.ones(batch, dtype=torch.bool),
                      "forward_input_shape": shape}
            x = self._affine(x, params={k: v.to(x.device) for k, v in affine.items()})
        return x


def _cast(x: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    if dtype.is_floating_point:
        return x.to(dtype)
    info = torch.iinfo(dtype)
    return x.round().clamp(info.min, info.max).to(dtype)
