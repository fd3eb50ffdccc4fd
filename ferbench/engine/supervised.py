"""The standard supervised loop: a plain `nn.Module` (images -> logits, one per class or
per AU) wrapped as a Method and trained by the generic loop with the task's loss.

The best epoch is chosen on the validation split (the task's validation score, then the
loss); the test split is never seen here.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.modules.lazy import LazyModuleMixin

from ..data.faceset import FaceSet
from ..data.transforms import Preprocess, dataset_stats
from ..method import Method
from .context import RunContext
from .distributed import wrap
from .generated import add_generated


class PenultimateFeatures(nn.Module):
    """A classifier's input to its last linear layer, for Fréchet distance / KID on its
    features (no_grad; uint8 images in, (B, D) float out)."""

    def __init__(self, model: nn.Module):
        super().__init__()
        linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
        if not linears:
            raise ValueError("the classifier has no linear layer to take features before")
        self.model, self.last = model, linears[-1]

    @torch.no_grad()
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        captured = []
        handle = self.last.register_forward_hook(lambda m, i, o: captured.append(i[0]))
        try:
            self.model(x)
        finally:
            handle.remove()
        return captured[0].flatten(1).float()


def materialize_lazy(model: nn.Module, example: torch.Tensor) -> None:
    """Initialise lazy modules (nn.LazyLinear, ...) with one dry-run forward on the CPU, so
    the model can be moved and its parameters handed to an optimizer."""
    if any(isinstance(m, LazyModuleMixin) and m.has_uninitialized_params()
           for m in model.modules()):
        with torch.no_grad():
            model(example)


class SupervisedMethod(Method):
    def __init__(self, network: nn.Module, hparams: dict, in_chans: int | None = None,
                 task=None):
        self.network = network
        self.hparams = hparams
        self.in_chans = in_chans
        self.task = task
        self.model: nn.Sequential | None = None  # Preprocess + network, set by fit
        self.device = torch.device("cpu")
        self.amp_dtype = None
        self.history: list[dict] = []
        self.best_epoch = -1

    def _compose(self, train: FaceSet) -> nn.Sequential:
        mean, std = dataset_stats(train.images)
        pre = Preprocess(self.hparams["normalize"], mean, std,
                         self.hparams.get("input_size"), self.in_chans)
        return nn.Sequential(pre, self.network)

    def fit(self, train: FaceSet, val: FaceSet, ctx: RunContext) -> None:
        self.device, self.amp_dtype, self.task = ctx.device, ctx.amp_dtype, ctx.task
        fmt = torch.channels_last if ctx.channels_last else torch.preserve_format
        model = self._compose(train)  # normalisation statistics of the real images only
        if self.hparams["augment"].get("generator"):
            train = add_generated(train, ctx)
        materialize_lazy(model, train.images[:2])
        self.model = model.to(ctx.device, memory_format=fmt)
        stepper = ctx.stepper(self.model.parameters())
        loss_fn = self.task.loss(self.hparams, train)
        val_targets = self.task.targets(val)
        trained = wrap(self.model, ctx.device)  # DistributedDataParallel under torchrun

        def step(batch, iteration):
            with ctx.autocast():
                loss = loss_fn(trained(batch["images"]), batch["targets"])
            stepper.step(loss)
            return {"train_loss": loss}

        def validate():
            logits = self._logits(val.images)
            targets = val_targets.to(logits.device)
            scores = self.task.validation(self.task.activate(logits), targets, self.hparams)
            return {**scores, "val_loss": loss_fn(logits, targets).item()}

        result = ctx.loop(ctx.batches(train, train=True), step, modules={"model": self.model},
                          steppers={"model": stepper}, validate=validate,
                          select=self.task.selection)
        self.history, self.best_epoch = result.history, result.best_epoch

    @torch.no_grad()
    def _logits(self, images: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
        self.model.eval()
        out = []
        for start in range(0, len(images), batch_size):
            batch = images[start:start + batch_size].to(self.device)
            with torch.autocast(self.device.type, dtype=self.amp_dtype,
                                enabled=self.amp_dtype is not None):
                out.append(self.model(batch).float())
        return torch.cat(out)

    def predict(self, images: torch.Tensor) -> torch.Tensor:
        """Expression: logits (B, K); AUs: probabilities (B, A) (the task's activation)."""
        return self.task.activate(self._logits(images))

    def inference_module(self) -> nn.Module:
        return self.model

    def feature_extractor(self) -> nn.Module:
        return PenultimateFeatures(self.model)

    def restore(self, checkpoint, train: FaceSet, device: torch.device, task) -> None:
        """Load a finished run's best weights (best.pt) for inference."""
        self.device, self.task = device, task
        model = self._compose(train)
        materialize_lazy(model, train.images[:2])
        state = torch.load(checkpoint, map_location="cpu", weights_only=True)
        model.load_state_dict(state.get("model", state))
        self.model = model.to(device).eval()
