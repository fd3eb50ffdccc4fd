"""The unsupervised DCGAN stage (Radford et al. 2016, the paper's section 3) on the
pretraining faces, trained once per (data, recipe) through the run's cached stages, and its
frozen discriminator as a feature extractor."""

from __future__ import annotations

import hashlib

import torch
from ferbench import gan
from ferbench.errors import UserError
from ferbench.models.gan_nets import DCGANDiscriminator, DCGANGenerator, from_uint8, to_uint8
from ferbench.models.gan_training import resize_uint8
from torch import nn

STAGE = "dcgan"
GRID = 32  # fixed-noise samples drawn after every epoch


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
    """Load the DCGAN stage of these pretraining faces and this recipe, or train and store
    it. True when it was reused."""
    hp = ctx.hparams
    images = pretraining_images(pretrain, D.body[0].in_channels, D.size)
    recipe = {k: hp[k] for k in ("epochs", "batch_size", "lr", "betas", "optimizer",
                                 "schedule", "weight_decay", "augment")}
    stage = ctx.cached_stage(STAGE, {
        "data": ctx.manifest(pretrain),
        "images": hashlib.sha256(images.contiguous().numpy().tobytes()).hexdigest()[:16],
        "size": D.size, "width": D.body[0].out_channels, "z_dim": G.z_dim, "seed": ctx.seed,
        "recipe": recipe})
    reused = stage.run({"generator": G, "discriminator": D}, lambda: _train(ctx, G, D, images))
    ctx.log(f"DCGAN stage: {'reused' if reused else 'trained and stored'} {stage.path}")
    return reused


def _train(ctx, G: DCGANGenerator, D: DCGANDiscriminator, images: torch.Tensor) -> None:
    """Non-saturating BCE DCGAN, one D step per G step, with the recipe's Adam (lr 2e-4,
    betas (0.5, 0.999) by default) for each network, through `ctx.loop`."""
    if len(images) < 2:
        raise UserError(f"DCGAN stage: needs at least 2 pretraining faces, got {len(images)}")
    G.to(ctx.device)
    D.to(ctx.device)
    opt_g, opt_d = ctx.stepper(G.parameters()), ctx.stepper(D.parameters())
    fixed = G.sample_noise(GRID, torch.Generator(ctx.device).manual_seed(ctx.seed))
    # drop_last keeps batch norm away from a last batch of one
    data = ctx.batches(None, True, fields={"images": images},
                       batch_size=min(ctx.batch_size, len(images)), drop_last=True)

    def step(batch, iteration):
        real = from_uint8(batch["images"])
        with ctx.autocast():
            fake = G(G.sample_noise(len(real)))
            loss_d = gan.d_loss("bce", D(real), D(fake.detach()))
        opt_d.step(loss_d)
        with ctx.autocast(), gan.requires_grad(D, False):
            loss_g = gan.g_loss("bce", D(fake))
        opt_g.step(loss_g)
        return {"loss_d": loss_d, "loss_g": loss_g}

    ctx.loop(data, step, modules={"generator": G, "discriminator": D},
             steppers={"generator": opt_g, "discriminator": opt_d}, stage=STAGE,
             save_weights=False, samples=lambda: to_uint8(G(fixed)).cpu())
