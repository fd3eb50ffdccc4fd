"""The unsupervised DCGAN stage (Radford et al. 2016, the paper's section 3) on the
pretraining faces, trained by the core `train_gan` once per (data, recipe) through the run's
cached stages, and its frozen discriminator as a feature extractor."""

from __future__ import annotations

import hashlib

import torch
from ferbench.errors import UserError
from ferbench.models.gan_nets import DCGANDiscriminator, DCGANGenerator, from_uint8
from ferbench.models.gan_training import resize_uint8, train_gan
from torch import nn

STAGE = "dcgan"
# the DCGAN's optimiser is the paper's Adam at a constant lr, as `train_gan` runs it
FIXED_RECIPE = {"optimizer": "adam", "schedule": "constant", "weight_decay": 0.0}


class DiscriminatorFeatures(nn.Module):
    """uint8 images (B, C, H, W) -> resized to the DCGAN's size -> the frozen discriminator's
    penultimate conv activations (B, 8 * width * 4 * 4) at 64 px."""

    def __init__(self, discriminator: DCGANDiscriminator):
        super().__init__()
        self.discriminator = discriminator.eval().requires_grad_(False)

    def train(self, mode: bool = True) -> DiscriminatorFeatures:
        """Stays in eval mode: the batch-norm statistics of the DCGAN are kept."""
        return super().train(False)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        size = self.discriminator.size
        return self.discriminator.features(from_uint8(resize_uint8(images, size)))


def pretraining_images(pretrain, chans: int, size: int) -> torch.Tensor:
    """The pretraining faces at `size` px; their channels must be the evaluated set's."""
    if pretrain.images.shape[1] != chans:
        raise UserError(f"--pretrain-dataset {pretrain.info.name}: its faces have "
                        f"{pretrain.images.shape[1]} channel(s), the evaluated ones {chans}; "
                        f"pass -o pretrain.channels={chans}")
    return resize_uint8(pretrain.images, size)


def train_or_load(ctx, G: DCGANGenerator, D: DCGANDiscriminator, pretrain) -> bool:
    """Load the DCGAN stage of these pretraining faces and this recipe, or train G and D in
    place with `train_gan` (kind dcgan: BCE, non-saturating G loss, one D step per G step,
    the recipe's Adam lr and betas, augment.* applied) and store it. True when reused."""
    hp = ctx.hparams
    for key, value in FIXED_RECIPE.items():
        if hp[key] != value:
            raise UserError(f"option {key}: the DCGAN stage of dcgan-dsvm trains with "
                            f"{key}={value} (the paper's Adam recipe); got {hp[key]!r}")
    images = pretraining_images(pretrain, D.body[0].in_channels, D.size)
    recipe = {k: hp[k] for k in ("epochs", "batch_size", "lr", "betas", "optimizer",
                                 "schedule", "weight_decay", "augment")}
    stage = ctx.cached_stage(STAGE, {
        "data": ctx.manifest(pretrain),
        "images": hashlib.sha256(images.contiguous().numpy().tobytes()).hexdigest()[:16],
        "size": D.size, "width": D.body[0].out_channels, "z_dim": G.z_dim, "seed": ctx.seed,
        "recipe": recipe})
    reused = stage.run({"generator": G, "discriminator": D}, lambda: train_gan(
        ctx, images, kind="dcgan", size=D.size, epochs=hp["epochs"],
        batch_size=hp["batch_size"], lr=hp["lr"], betas=hp["betas"], stage=STAGE,
        generator=G, discriminator=D, augment=True))
    ctx.log(f"DCGAN stage: {'reused' if reused else 'trained and stored'} {stage.path}")
    return reused
