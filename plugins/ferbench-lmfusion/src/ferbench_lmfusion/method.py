"""The two-module transfer method: module 1 (landmark fusion) is trained first as a cached
stage, then frozen while module 2 (modified U-Net + spectral PatchGAN, cGAN + L1) trains with
the core pix2pix training (`Pix2Pix.fit`: ctx.loop, steppers, validation SSIM, samples)."""

from __future__ import annotations

import torch
from ferbench import gan
from ferbench.data.info import DatasetInfo
from ferbench.errors import UserError
from ferbench.models.gan_nets import from_uint8, to_uint8
from ferbench.models.transfer_baselines import Pix2Pix
from torch import nn

from .nets import (
    LandmarkFusion,
    ModifiedUNet,
    TargetConditioned,
    spectral_patch_discriminator,
)

FUSION_RECIPE = ("fusion_epochs", "batch_size", "lr", "lr_d", "betas", "gan_loss", "augment",
                 "lambda_fusion_adv", "lambda_cycle", "lambda_fusion_l1")


class FusedLandmarkGenerator(nn.Module):
    """Eq. (2): I_gen = Omega(J_gen, P_t). Input uint8 (target C channels, L_s, L_t) stacked on
    channels; J_gen comes from the frozen fusion module (or is L_t itself when `fusion` is
    None, the ablation). `condition` / `images` are what `Pix2Pix.fit` trains with."""

    def __init__(self, chans: int, size: int, width: int, depth: int | None,
                 fusion: LandmarkFusion | None):
        super().__init__()
        self.chans, self.fusion = chans, fusion
        self.unet = ModifiedUNet(chans + 1, chans, size, width=width, depth=depth)

    def train(self, mode: bool = True) -> FusedLandmarkGenerator:
        super().train(mode)
        if self.fusion is not None:  # frozen: its BatchNorm statistics stay fixed too
            self.fusion.eval()
        return self

    def landmarks(self, x: torch.Tensor) -> torch.Tensor:
        """J_gen in [-1, 1] from the stacked uint8 input (no gradient: module 1 is frozen)."""
        source, target = (from_uint8(x[:, self.chans + i:self.chans + i + 1]) for i in (0, 1))
        if self.fusion is None:
            return target
        with torch.no_grad():
            return self.fusion(source, target).clamp(-1, 1)

    def condition(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([from_uint8(x[:, :self.chans]), self.landmarks(x)], 1)

    def images(self, condition: torch.Tensor) -> torch.Tensor:
        return self.unet(condition)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return to_uint8(self.images(self.condition(x)))


def _option(name: str, value, low: int = 1) -> int:
    if isinstance(value, bool):
        raise UserError(f"model option {name}: expected an integer >= {low}, got {value!r}")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise UserError(f"model option {name}: expected an integer >= {low}, "
                        f"got {value!r}") from None
    if number < low or number != float(value):
        raise UserError(f"model option {name}: expected an integer >= {low}, got {value!r}")
    return number


class LandmarkFusionTransfer(Pix2Pix):
    """Fan et al. (2023). `fuse=False` is the ablation without module 1 (J_gen = L_t)."""

    def __init__(self, info: DatasetInfo, width: int = 64, d_width: int = 64,
                 depth: int | None = None, fusion_width: int = 64, fusion_depth: int = 3,
                 fuse: bool = True):
        size, chans = info.image_size, info.in_chans
        self.info = info
        self.fusion_width = _option("fusion_width", fusion_width)
        self.fusion_depth = _option("fusion_depth", fusion_depth)
        self.d_width = _option("d_width", d_width)
        self.fusion = self.fusion_discriminator = None
        if fuse:
            self.fusion = gan.dcgan_init(LandmarkFusion(size, self.fusion_width,
                                                        self.fusion_depth))
            self.fusion_discriminator = gan.dcgan_init(
                spectral_patch_discriminator(1, self.d_width))
        self.generator = gan.dcgan_init(FusedLandmarkGenerator(
            chans, size, _option("width", width),
            None if depth is None else _option("depth", depth, 2), self.fusion))
        self.discriminator = TargetConditioned(gan.dcgan_init(
            spectral_patch_discriminator(2 * chans, self.d_width)), chans)
        self.device = torch.device("cpu")
        self.history: list[dict] = []

    @staticmethod
    def stacked(batch: dict) -> torch.Tensor:
        """The timed input: target, the source's raw landmark image L_s and L_t."""
        return torch.cat([batch["target"], batch["source_landmark_image"],
                          batch["target_landmark_image"]], 1)

    def fit(self, train, val, ctx) -> None:
        if self.fusion is not None:
            stage = ctx.cached_stage("lmfusion-fusion", self.fusion_inputs(train, ctx))
            reused = stage.run({"fusion": self.fusion}, lambda: self.fit_fusion(train, val, ctx))
            ctx.log(f"landmark fusion: {'reused' if reused else 'trained and stored'} "
                    f"{stage.path}")
            self.fusion.requires_grad_(False)
            self.fusion.zero_grad(set_to_none=True)
            self.fusion.eval()
        super().fit(train, val, ctx)

    def fusion_inputs(self, train, ctx) -> dict:
        """What the fusion stage's result depends on: its data, seed, networks and recipe."""
        hp = ctx.hparams
        return {"data": ctx.manifest(train), "seed": ctx.seed, "size": self.info.image_size,
                "fusion_width": self.fusion_width, "fusion_depth": self.fusion_depth,
                "d_width": self.d_width,
                "recipe": {k: hp.get(k) for k in FUSION_RECIPE}}

    def fit_fusion(self, train, val, ctx) -> None:
        """Module 1 with Eq. (6): lambda1 adversarial (D_J on landmark images, Eq. 3) +
        lambda2 cycle consistency (Eq. 4) + lambda3 L1 to the truth's landmark image
        (Eq. 5)."""
        hp, task = ctx.hparams, ctx.task
        F, D = self.fusion.to(ctx.device), self.fusion_discriminator.to(ctx.device)
        data = task.batches(ctx, train, train=True)
        val_batches = task.batches(ctx, val, train=False)
        opt_f = ctx.stepper(F.parameters(), epochs=hp["fusion_epochs"])
        opt_d = ctx.stepper(D.parameters(), lr=hp["lr_d"], epochs=hp["fusion_epochs"])
        kind = hp["gan_loss"]

        def landmark_images(batch):
            return (from_uint8(batch[f"{who}_landmark_image"])
                    for who in ("source", "target", "truth"))

        def step(batch, iteration):
            source, target, truth = landmark_images(batch)
            with ctx.autocast():
                fused = F(source, target)
                with gan.requires_grad(D, True):
                    d_loss = gan.d_loss(kind, D(truth), D(fused.detach()))
                opt_d.step(d_loss)
                with gan.requires_grad(D, False):
                    adversarial = gan.g_loss(kind, D(fused))
                cycle = (F(source, F(target, source)) - source).abs().mean()
                l1 = (fused - truth).abs().mean()
                loss = (hp["lambda_fusion_adv"] * adversarial + hp["lambda_cycle"] * cycle
                        + hp["lambda_fusion_l1"] * l1)
            opt_f.step(loss)
            return {"loss_dj": d_loss, "loss_fusion_adv": adversarial,
                    "loss_cycle": cycle, "loss_fusion_l1": l1}

        def validate():
            """L1 of J_gen to the truth's landmark image, and of L_t (no fusion) for scale."""
            fused, unchanged, count = 0.0, 0.0, 0
            for batch in val_batches:
                source, target, truth = landmark_images(batch)
                fused += (F(source, target) - truth).abs().mean().item() * len(truth)
                unchanged += (target - truth).abs().mean().item() * len(truth)
                count += len(truth)
            return {"val_fusion_l1": fused / max(count, 1),
                    "val_target_l1": unchanged / max(count, 1)}

        fixed = next(iter(val_batches))

        def samples():
            source, target, truth = (x[:8] for x in landmark_images(fixed))
            return torch.cat([to_uint8(x).cpu() for x in (source, target,
                                                          F(source, target), truth)])

        ctx.loop(data, step, modules={"fusion": F, "fusion_discriminator": D},
                 steppers={"fusion": opt_f, "fusion_discriminator": opt_d}, stage="fusion",
                 epochs=hp["fusion_epochs"], validate=validate, samples=samples)


def build(info: DatasetInfo, width: int = 64, d_width: int = 64, depth: int | None = None,
          fusion_width: int = 64, fusion_depth: int = 3) -> LandmarkFusionTransfer:
    return LandmarkFusionTransfer(info, width, d_width, depth, fusion_width, fusion_depth)


def build_nofusion(info: DatasetInfo, width: int = 64, d_width: int = 64,
                   depth: int | None = None) -> LandmarkFusionTransfer:
    return LandmarkFusionTransfer(info, width, d_width, depth, fuse=False)
