"""DF-SVM (paper 002, experiment B): VGG-13, VGG-16 and VGG-19 as frozen feature
extractors (the activations of their last fully connected layer before the classifier,
fc7), concatenated, L2-normalised and classified by scikit-learn's linear SVM with its
defaults (`LinearSVC()`: C = 1, squared hinge, one-vs-rest).

The paper's VGGs carry ImageNet weights, which nothing here downloads: give one state
dict per backbone (`-o model.vgg16_weights=PATH`, timm or torchvision layout; the SHA-256 of
each file is written to the run's `weights.json`), or `-o model.random_init=true` for
frozen randomly initialised VGGs, which the row label then shows. Weights load into timm's
layout first; at inputs of 32 to 63 px (a 1x1 map before the head) fc6 is then folded into
an exact 512 -> 4096 linear layer (`vgg_head`), 49 times less work than the 7x7 convolution
over a map that timm's head only copies to 7x7."""

from __future__ import annotations

import hashlib
import json
import pickle
from pathlib import Path

import timm
import torch
from ferbench import DatasetInfo
from ferbench.errors import UserError
from ferbench.models.features import FeatureClassifier, concatenate, network_features
from ferbench.models.gan_training import resize_uint8
from sklearn.svm import LinearSVC
from timm.data import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD
from torch import nn

from .vgg_head import FoldedVGGHead, folds_to_one_pixel

BACKBONES = ("vgg13", "vgg16", "vgg19")


class FC7Features(nn.Module):
    """uint8 images (B, 1 or 3, H, W) -> a VGG's fc7 activations (B, 4096): resized to
    `size`, gray repeated to RGB, ImageNet normalisation, the network up to its classifier.
    Where `size` leaves a 1x1 map before the head, `vgg`'s fc6 is folded (`FoldedVGGHead`),
    which changes no activation."""

    def __init__(self, vgg: nn.Module, size: int):
        super().__init__()
        self.folded = folds_to_one_pixel(vgg, size)
        if self.folded:
            vgg.pre_logits = FoldedVGGHead(vgg.pre_logits)
        self.vgg, self.size = vgg, size
        self.register_buffer("mean", torch.tensor(IMAGENET_DEFAULT_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(IMAGENET_DEFAULT_STD).view(1, 3, 1, 1))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        x = resize_uint8(images, self.size).float().div(255).expand(-1, 3, -1, -1)
        x = (x - self.mean) / self.std
        return self.vgg.forward_head(self.vgg.forward_features(x), pre_logits=True)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_vgg(name: str, weights: str | None) -> nn.Module:
    """timm `name` with the ImageNet state dict at `weights` (None: random init)."""
    if weights is None:
        return timm.create_model(name, pretrained=False, num_classes=0)
    path = Path(weights).expanduser()
    if not path.is_file():
        raise UserError(f"option model.{name}_weights: {path} is not a file; expected the "
                        f"ImageNet state dict of {name} (timm or torchvision layout)")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        # timm maps torchvision's classifier.0/3/6 onto its pre_logits and head
        return timm.create_model(name, pretrained=True, num_classes=0,
                                 pretrained_cfg_overlay={"state_dict": state})
    except (RuntimeError, OSError, KeyError, ValueError, AttributeError,
            pickle.UnpicklingError) as exc:
        raise UserError(f"option model.{name}_weights: {path} is not a readable {name} "
                        f"state dict ({type(exc).__name__})") from exc


class DFSVM(FeatureClassifier):
    """The three frozen VGGs' fc7 features side by side -> L2 -> LinearSVC() (C = 1), no
    standardisation (the paper standardises nothing)."""

    def __init__(self, extractors: dict[str, nn.Module], weights: dict[str, dict]):
        self.networks, self.weights = extractors, weights
        self.device = torch.device("cpu")
        super().__init__(self._extract, LinearSVC(), {"C": [1.0]}, l2=True, standardize=False)

    def _extract(self, images: torch.Tensor):
        parts = [network_features(net, self.device) for net in self.networks.values()]
        return concatenate(*parts)(images)

    def fit(self, train, val, ctx) -> None:
        self.device = ctx.device
        for net in self.networks.values():
            net.to(ctx.device).requires_grad_(False)
        ctx.artifacts.mkdir(parents=True, exist_ok=True)
        (ctx.artifacts / "weights.json").write_text(json.dumps(self.weights, indent=2))
        bookkeeping = ctx.extra.setdefault("bookkeeping", {})
        bookkeeping["feature_weights"] = self.weights
        bookkeeping["fc6_folded"] = all(net.folded for net in self.networks.values())
        ctx.log(f"df-svm features: {json.dumps(self.weights)}")
        super().fit(train, val, ctx)

    def inference_module(self):
        return None


def build(info: DatasetInfo, vgg13_weights: str | None = None,
          vgg16_weights: str | None = None, vgg19_weights: str | None = None,
          random_init: bool = False, image_size: int = 224) -> DFSVM:
    """DF-SVM on ImageNet VGGs from files, or on frozen random ones (`random_init`);
    images are resized to `image_size` (the paper: ImageNet's 224)."""
    given = {"vgg13": vgg13_weights, "vgg16": vgg16_weights, "vgg19": vgg19_weights}
    if not isinstance(random_init, bool):
        raise UserError(f"option model.random_init: expected true or false, got "
                        f"{random_init!r}")
    if random_init and any(given.values()):
        raise UserError("model df-svm: give either the VGG weight files or "
                        "model.random_init=true, not both")
    missing = [f"model.{name}_weights" for name, path in given.items() if not path]
    if missing and not random_init:
        raise UserError(f"model df-svm: needs ImageNet VGG weights; give -o "
                        f"{'=PATH -o '.join(missing)}=PATH (timm or torchvision state dicts; "
                        "nothing is downloaded), or -o model.random_init=true for frozen "
                        "randomly initialised VGGs")
    try:
        size = int(image_size)
    except (TypeError, ValueError):
        size = 0
    if size < 32:
        raise UserError(f"option model.image_size: expected an integer >= 32, got "
                        f"{image_size!r}")
    extractors, weights = {}, {}
    for name, path in given.items():
        extractors[name] = FC7Features(load_vgg(name, path), size).eval()
        file = None if path is None else Path(path).expanduser()
        weights[name] = {"weights": "random init (frozen)"} if file is None else \
            {"weights": str(file), "sha256": sha256(file)}
    return DFSVM(extractors, weights)
