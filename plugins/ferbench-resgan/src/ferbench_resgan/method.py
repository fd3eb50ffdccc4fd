"""Training of Wang (2021): E_total = E_c + E_adv (formula 5), one discriminator step and
one step of G_f, G_c and G_h per batch, each with its own per-iteration poly schedule."""

from __future__ import annotations

import torch
from ferbench import Method, gan
from ferbench.errors import UserError
from ferbench.models.gan_nets import from_uint8, to_uint8

from .networks import (
    Discriminator,
    FeatureExtractor,
    FeatureSynthesizer,
    Recognizer,
    classifier,
)

D_BETAS = [0.9, 0.99]  # section 4.1: Adam for the discriminator
SAMPLE_ROWS = 8  # validation faces drawn with their reconstructions G_h(G_f(x)) each epoch


def _width(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 2 or value % 2:
        raise UserError(f"model option width={value!r}: expected an even integer >= 2 "
                        "(the paper's ResNet-18 is 64)")
    return value


def _dropout(value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise UserError(f"model option dropout={value!r}: expected a probability in [0, 1)")
    return float(value)


def _image_size(size: int) -> int:
    if size < 32 or size % 8:
        raise UserError(f"image size {size}: ResGAN needs a multiple of 8, at least 32 "
                        "(-o data.image_size=48, the paper's size)")
    return size


class ResGAN(Method):
    """G_f + G_c trained with cross-entropy; with `adversarial`, G_h reconstructs images from
    G_f's feature map and G_d tells them from real faces, and G_f, G_h also minimise the
    non-saturating adversarial loss (weight `adv_weight`)."""

    def __init__(self, info, width: int = 64, dropout: float = 0.5, adversarial: bool = True):
        width, size = _width(width), _image_size(info.image_size)
        self.adversarial = adversarial
        self.extractor = FeatureExtractor(info.in_chans, width, _dropout(dropout))
        self.classifier = classifier(self.extractor.num_features, 4 * width, info.num_outputs)
        self.recognizer = Recognizer(self.extractor, self.classifier)
        self.synthesizer = FeatureSynthesizer(info.in_chans, width) if adversarial else None
        self.discriminator = Discriminator(info.in_chans, size, width) if adversarial else None
        self.device = torch.device("cpu")

    def generator_modules(self) -> dict:
        """The networks of the SGD stepper: G_f, G_c and (adversarial) G_h."""
        modules = {"extractor": self.extractor, "classifier": self.classifier}
        if self.adversarial:
            modules["synthesizer"] = self.synthesizer
        return modules

    def fit(self, train, val, ctx) -> None:
        hp, task, self.device = ctx.hparams, ctx.task, ctx.device
        generator = {name: m.to(ctx.device) for name, m in self.generator_modules().items()}
        data = ctx.batches(train, train=True)
        steps = {"per": "iteration", "iterations": len(data)}
        opt_g = ctx.stepper([p for m in generator.values() for p in m.parameters()], **steps)
        modules, steppers = dict(generator), {"generator": opt_g}
        D = None
        if self.adversarial:
            D = self.discriminator.to(ctx.device)
            modules["discriminator"] = D
            steppers["discriminator"] = ctx.stepper(
                D.parameters(), optimizer="adam", lr=hp["lr_d"], betas=D_BETAS,
                weight_decay=0.0, **steps)
        loss_fn, val_targets = task.loss(hp, train), task.targets(val)
        fixed = val.images[:SAMPLE_ROWS].to(ctx.device)

        def step(batch, iteration):
            real = from_uint8(batch["images"])
            with ctx.autocast():
                maps = self.extractor.maps(real)
                loss_c = loss_fn(self.classifier(self.extractor.pool(maps)), batch["targets"])
            losses = {"loss_c": loss_c}
            loss = loss_c
            if D is not None:
                with ctx.autocast():
                    fake = self.synthesizer(maps)
                    loss_d = gan.d_loss("bce", D(real), D(fake.detach()))
                steppers["discriminator"].step(loss_d)
                with ctx.autocast(), gan.requires_grad(D, False):
                    loss_adv = gan.g_loss("bce", D(fake))
                loss = loss_c + hp["adv_weight"] * loss_adv
                losses.update(loss_d=loss_d, loss_adv=loss_adv)
            opt_g.step(loss)
            return losses

        def validate():
            scores = self.predict(val.images)
            return task.validation(scores, val_targets.to(scores.device), hp)

        samples = None
        if self.adversarial:
            def samples():
                return torch.cat([fixed, to_uint8(self.synthesizer(
                    self.extractor.maps(from_uint8(fixed))))]).cpu()

        self.best_epoch = ctx.loop(data, step, modules=modules, steppers=steppers,
                                   validate=validate, select=task.selection,
                                   samples=samples).best_epoch

    @torch.no_grad()
    def predict(self, images: torch.Tensor) -> torch.Tensor:
        """Logits G_c(G_f(x)) (B, K)."""
        self.recognizer.eval()
        return torch.cat([self.recognizer(part.to(self.device)).float().cpu()
                          for part in images.split(256)])

    def inference_module(self):
        return self.recognizer


def build(info, width: int = 64, dropout: float = 0.5) -> ResGAN:
    """The paper's method: E_c + E_adv."""
    return ResGAN(info, width=width, dropout=dropout, adversarial=True)


def build_noadv(info, width: int = 64, dropout: float = 0.5) -> ResGAN:
    """Ablation: the same G_f + G_c and recipe, E_c only (no G_h, no G_d, no D step)."""
    return ResGAN(info, width=width, dropout=dropout, adversarial=False)
