"""Expression-transfer baselines: `identity` (the target unchanged: the floor every method
must beat) and `pix2pix` (Isola et al. 2017: U-Net generator + PatchGAN, conditioned on
the target image and a landmark image of the source's expression; cGAN + lambda * L1).

The landmark image is the source's landmarks aligned onto the target face by a similarity
on rigid points (`landmarks="aligned"`, the default), or drawn where they lie in the source
photo (`landmarks="source"`): a source of another pose or face shape then puts the mouth
and brows where the target has none, and the U-Net paints them there."""

from __future__ import annotations

import torch
from torch import nn

from .. import gan
from ..data.info import DatasetInfo
from ..method import Method
from .gan_nets import from_uint8, to_uint8
from .pix2pix_nets import PatchDiscriminator, UNetGenerator


class TargetImage(nn.Module):
    """The timed module of `identity`: the target channels of the stacked input."""

    def __init__(self, chans: int):
        super().__init__()
        self.chans = chans

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, :self.chans]


class IdentityTransfer(Method):
    def __init__(self, info: DatasetInfo):
        self.module = TargetImage(info.in_chans)

    def fit(self, train, val, ctx) -> None:
        ctx.log("identity: nothing to train (returns the target image)")

    def generate(self, batch: dict) -> torch.Tensor:
        return batch["target"].clone()

    def inference_module(self) -> nn.Module:
        return self.module


LANDMARK_FIELDS = {"aligned": "aligned_landmark_image", "source": "source_landmark_image"}


class Pix2PixGenerator(nn.Module):
    """uint8 (target C channels + the source expression's landmark image + target landmark
    image) -> uint8 generated image; the target and the source's landmarks condition the
    U-Net.

    `residual=True` (the default; not in Isola et al., whose U-Net draws the whole image:
    `residual=False`) adds the U-Net's output to the target image, with the last layer
    zero-initialised, so training starts from the identity floor and learns the expression
    change only."""

    def __init__(self, chans: int, size: int, width: int, residual: bool = False):
        super().__init__()
        self.chans, self.residual = chans, residual
        self.unet = UNetGenerator(chans + 1, chans, size, width=width)

    def zero_last_layer(self) -> None:
        last = [m for m in self.unet.modules() if isinstance(m, nn.ConvTranspose2d)][-1]
        nn.init.zeros_(last.weight)
        if last.bias is not None:
            nn.init.zeros_(last.bias)

    def condition(self, x: torch.Tensor) -> torch.Tensor:
        return from_uint8(x[:, :self.chans + 1])

    def images(self, condition: torch.Tensor) -> torch.Tensor:
        """Generated images in [-1, 1] from the float condition."""
        out = self.unet(condition)
        return (condition[:, :self.chans] + out).clamp(-1, 1) if self.residual else out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return to_uint8(self.images(self.condition(x)))


class Pix2Pix(Method):
    def __init__(self, info: DatasetInfo, width: int = 32, d_width: int = 32,
                 residual: bool = True, landmarks: str = "aligned"):
        if landmarks not in LANDMARK_FIELDS:
            from ..errors import UserError
            raise UserError(f"option model.landmarks: expected one of "
                            f"{', '.join(LANDMARK_FIELDS)}, got {landmarks!r}")
        self.info, self.landmark_field = info, LANDMARK_FIELDS[landmarks]
        self.generator = Pix2PixGenerator(info.in_chans, info.image_size, int(width),
                                          bool(residual))
        self.discriminator = PatchDiscriminator(2 * info.in_chans + 1, width=int(d_width))
        gan.dcgan_init(self.generator)
        gan.dcgan_init(self.discriminator)
        if self.generator.residual:
            self.generator.zero_last_layer()
        self.device = torch.device("cpu")
        self.history: list[dict] = []

    def stacked(self, batch: dict) -> torch.Tensor:
        return torch.cat([batch["target"], batch[self.landmark_field],
                          batch["target_landmark_image"]], 1)

    def fit(self, train, val, ctx) -> None:
        hp, task = ctx.hparams, ctx.task
        self.device = ctx.device
        G, D = self.generator.to(ctx.device), self.discriminator.to(ctx.device)
        data = task.batches(ctx, train, train=True)
        val_batches = task.batches(ctx, val, train=False)
        opt_g = ctx.stepper(G.parameters())
        opt_d = ctx.stepper(D.parameters(), lr=hp["lr_d"])
        kind, weight = hp["gan_loss"], hp["lambda_l1"]

        def step(batch, iteration):
            condition = G.condition(self.stacked(batch))
            real = from_uint8(batch["truth"])
            with ctx.autocast():
                fake = G.images(condition)
                with gan.requires_grad(D, True):
                    d_loss = gan.d_loss(kind, D(torch.cat([condition, real], 1)),
                                        D(torch.cat([condition, fake.detach()], 1)))
                opt_d.step(d_loss)
                with gan.requires_grad(D, False):
                    adversarial = gan.g_loss(kind, D(torch.cat([condition, fake], 1)))
                l1 = (fake - real).abs().mean()
                g_loss = adversarial + weight * l1
            opt_g.step(g_loss)
            return {"loss_d": d_loss, "loss_g_adv": adversarial, "loss_g_l1": l1}

        fixed = next(iter(val_batches))

        def samples():
            G.eval()
            rows = [fixed["source"][:8], fixed["target"][:8], G(self.stacked(fixed)[:8]),
                    fixed["truth"][:8]]
            return torch.cat([r.cpu() for r in rows])

        def validate():
            ssim, count = 0.0, 0
            from ..metrics.image import ssim as ssim_metric
            for batch in val_batches:
                generated = G(self.stacked(batch))
                ssim += ssim_metric(generated.cpu(), batch["truth"].cpu()) * len(generated)
                count += len(generated)
            return {"val_ssim": ssim / max(count, 1)}

        result = ctx.loop(data, step, modules={"generator": G, "discriminator": D},
                          steppers={"generator": opt_g, "discriminator": opt_d},
                          validate=validate, select="val_ssim", samples=samples)
        self.history, self.best_epoch = result.history, result.best_epoch

    @torch.no_grad()
    def generate(self, batch: dict) -> torch.Tensor:
        self.generator.eval()
        x = self.stacked({k: v.to(self.device) for k, v in batch.items()})
        return self.generator(x)

    def inference_module(self) -> nn.Module:
        return self.generator


def identity(info: DatasetInfo, **options) -> Method:
    if options:
        from ..errors import UserError
        raise UserError(f"identity: takes no model options, got {', '.join(options)}")
    return IdentityTransfer(info)


def pix2pix(info: DatasetInfo, width: int = 32, d_width: int = 32,
            residual: bool = True, landmarks: str = "aligned") -> Method:
    return Pix2Pix(info, width, d_width, residual, landmarks)
