"""Training of the core GAN baselines on a set of face images, through the run's loop:

- `dcgan`: Radford et al. 2016 — BCE (non-saturating G), batch norm in G and D, Adam
  lr 2e-4, betas (0.5, 0.999), one D step per G step.
- `wgan-gp`: Gulrajani et al. 2017 — Wasserstein loss + gradient penalty (lambda 10) on a
  critic without batch norm (layer norm, their section 4), 5 critic steps per G step and
  Adam lr 1e-4, betas (0, 0.9) (their Algorithm 1 defaults).
- `cgan`: a label-conditioned DCGAN (Mirza & Osindero 2014; projection discriminator) with
  the WGAN-GP gradient penalty added to its discriminator loss, as paper 002 (GAN data
  augmentation for FER2013) describes it; the penalised discriminator uses layer norm, since
  a per-sample gradient penalty is not defined for batch norm (Gulrajani et al. 2017).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .. import gan
from ..engine.batches import Batches
from ..errors import UserError
from .gan_nets import DCGANDiscriminator, DCGANGenerator, from_uint8, to_uint8


@dataclass(frozen=True)
class GanKind:
    loss: str  # a ferbench.gan loss kind
    d_norm: str
    conditional: bool
    lr: float
    betas: tuple[float, float]
    n_critic: int
    gp_weight: float


KINDS = {
    "dcgan": GanKind("bce", "batch", False, 2e-4, (0.5, 0.999), 1, 0.0),
    "wgan-gp": GanKind("wasserstein", "layer", False, 1e-4, (0.0, 0.9), 5, 10.0),
    "cgan": GanKind("bce", "layer", True, 2e-4, (0.5, 0.999), 1, 10.0),
}
GRID_COLUMNS = 8


def gan_kind(kind: str) -> GanKind:
    if kind not in KINDS:
        raise UserError(f"GAN kind {kind!r} unknown; expected one of {', '.join(KINDS)}")
    return KINDS[kind]


def drawable(size: int) -> bool:
    """True when the DCGAN nets take `size` px: 3 * 2^k or 4 * 2^k with k >= 3."""
    return any(size % base == 0 and size // base >= 8 and (size // base).bit_count() == 1
               for base in (3, 4))


def build_generator(kind: str, chans: int, size: int, width: int = 64,
                    num_classes: int = 0) -> DCGANGenerator:
    """The generator of `kind` (class-conditional for cgan, with `num_classes` labels)."""
    return DCGANGenerator(chans, size, width=width,
                          num_classes=num_classes if gan_kind(kind).conditional else 0)


def resize_uint8(images: torch.Tensor, size: int | tuple[int, int],
                 chunk: int = 1024) -> torch.Tensor:
    """uint8 (N, C, H, W) images resized (bilinear, antialiased) to `size`."""
    size = (size, size) if isinstance(size, int) else tuple(size)
    if tuple(images.shape[-2:]) == size:
        return images
    out = [F.interpolate(images[i:i + chunk].float(), size=size, mode="bilinear",
                         align_corners=False, antialias=True).round().clamp(0, 255)
           .to(torch.uint8) for i in range(0, len(images), chunk)]
    return torch.cat(out)


def train_gan(ctx, images: torch.Tensor, labels: torch.Tensor | None = None, *, kind: str,
              size: int, epochs: int, batch_size: int, lr: float | None = None,
              betas: tuple[float, float] | None = None, n_critic: int | None = None,
              gp_weight: float | None = None, width: int = 64, num_classes: int | None = None,
              stage: str, generator: DCGANGenerator | None = None,
              discriminator: DCGANDiscriminator | None = None, augment: bool = False,
              return_discriminator: bool = False
              ) -> DCGANGenerator | tuple[DCGANGenerator, DCGANDiscriminator]:
    """Train a GAN of `kind` on uint8 `images` (N, C, H, W), resized to `size` and mapped
    to [-1, 1], with `ctx.loop` (one stepper per network, fixed-noise sample grids
    `samples-<stage>-eEEE.png`). `labels` (N,) condition a cgan (`num_classes` defaults to
    max + 1). lr, betas, n_critic and gp_weight default to the kind's published values.

    `generator` / `discriminator`: networks built for `size` to train in place instead of
    the kind's DCGAN nets of `width` (e.g. another z_dim); their norm must suit the kind.
    `augment`: the real images are augmented by the recipe's `augment.*`, as `ctx.batches`
    augments a training split (default: as they are).
    Returns the trained generator in eval mode, or (generator, discriminator), both in eval
    mode, with `return_discriminator`."""
    spec = gan_kind(kind)
    if images.dtype != torch.uint8 or images.dim() != 4:
        raise UserError(f"train_gan: expected uint8 images (N, C, H, W), got {images.dtype} "
                        f"{tuple(images.shape)}")
    if len(images) < 2:
        raise UserError(f"GAN stage {stage}: needs at least 2 training images, got "
                        f"{len(images)}")
    if spec.conditional and labels is None:
        raise UserError(f"GAN kind {kind}: class-conditional, pass the images' labels")
    lr = spec.lr if lr is None else lr
    betas = spec.betas if betas is None else tuple(betas)
    n_critic = spec.n_critic if n_critic is None else n_critic
    gp_weight = spec.gp_weight if gp_weight is None else gp_weight
    if n_critic < 1:
        raise UserError(f"GAN stage {stage}: n_critic must be >= 1, got {n_critic}")
    classes = 0
    if spec.conditional:
        classes = num_classes or int(labels.max()) + 1
    chans = images.shape[1]
    G = DCGANGenerator(chans, size, width=width, num_classes=classes) \
        if generator is None else generator
    D = DCGANDiscriminator(chans, size, width=width, num_classes=classes, norm=spec.d_norm) \
        if discriminator is None else discriminator
    for name, net in (("generator", G), ("discriminator", D)):
        if (net.size, net.num_classes) != (size, classes):
            raise UserError(f"GAN stage {stage}: the {name} is built for {net.size} px and "
                            f"{net.num_classes} classes; expected {size} px and {classes}")
    G, D = G.to(ctx.device), D.to(ctx.device)
    fields = {"images": resize_uint8(images, size)}
    if spec.conditional:
        fields["labels"] = labels.long()
    # drop_last keeps batch norm away from a last batch of one; at least one batch per epoch
    batch_size = min(batch_size, len(images))
    if augment:
        data = ctx.batches(None, True, fields=fields, batch_size=batch_size, drop_last=True)
    else:
        data = Batches(fields, batch_size=batch_size, device=ctx.device, shuffle=True,
                       seed=ctx.seed, drop_last=True)
    recipe = {"optimizer": "adam", "lr": lr, "betas": list(betas), "weight_decay": 0.0,
              "schedule": "constant", "epochs": epochs}
    opt_g = ctx.stepper(G.parameters(), **recipe)
    opt_d = ctx.stepper(D.parameters(), **recipe)
    fixed_z, fixed_y = _fixed_inputs(G, classes, ctx.seed)

    def step(batch, iteration):
        real = from_uint8(batch["images"])
        cond = (batch["labels"],) if spec.conditional else ()
        z = torch.randn(len(real), G.z_dim, device=real.device)
        with ctx.autocast():
            fake = G(z, *cond)
            # real, then fake: the order in which D's batch-norm running statistics see them
            real_logits = D(real, *cond)
            fake_logits = D(fake.detach(), *cond)
            loss_d = gan.d_loss(spec.loss, real_logits, fake_logits)
        losses = {"loss_d": loss_d}
        if gp_weight:
            penalty = gan.gradient_penalty(D, real, fake.float(), *cond)
            loss_d = loss_d + gp_weight * penalty
            losses["gp"] = penalty
        opt_d.step(loss_d)
        if (iteration + 1) % n_critic == 0:
            with ctx.autocast(), gan.requires_grad(D, False):
                loss_g = gan.g_loss(spec.loss, D(fake, *cond))
            opt_g.step(loss_g)
        else:  # no G step: G's loss against the critic it was just measured by
            loss_g = gan.g_loss(spec.loss, fake_logits.detach())
        return {**losses, "loss_g": loss_g}

    def samples():
        return to_uint8(G(fixed_z, *(() if fixed_y is None else (fixed_y,)))).cpu()

    ctx.loop(data, step, epochs=epochs, save_weights=False,  # the caller keeps the networks
             modules={"generator": G, "discriminator": D},
             steppers={"generator": opt_g, "discriminator": opt_d}, samples=samples,
             stage=stage)
    return (G.eval(), D.eval()) if return_discriminator else G.eval()


def _fixed_inputs(G: DCGANGenerator, classes: int,
                  seed: int) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The noise (and labels: one grid row per class) drawn for every epoch's grid."""
    device = next(G.parameters()).device
    rows = classes or 4
    generator = torch.Generator().manual_seed(seed)
    z = torch.randn(rows * GRID_COLUMNS, G.z_dim, generator=generator).to(device)
    if not classes:
        return z, None
    return z, torch.arange(classes, device=device).repeat_interleave(GRID_COLUMNS)
