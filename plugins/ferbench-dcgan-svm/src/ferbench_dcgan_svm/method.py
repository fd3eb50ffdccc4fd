"""The paper's pipeline as a ferbench Method: an unsupervised DCGAN on the pretraining faces
(a cached stage), its frozen discriminator's penultimate activations as features, then
expressions: one multiclass RBF SVM, C and gamma by Bayesian optimisation over 10-fold
subject-grouped CV; AUs: one linear SVM per AU (C by the same grouped CV)."""

from __future__ import annotations

import torch
from ferbench import Method
from ferbench.errors import UserError
from ferbench.models.features import FeatureClassifier, network_features
from ferbench.models.gan_nets import DCGANDiscriminator, DCGANGenerator
from sklearn.svm import SVC

from .discriminator import DiscriminatorFeatures, pretraining_images, train_or_load
from .quality import write_report

RBF_SPACE = {"C": ("log", 1e-3, 1e3), "gamma": ("log", 1e-6, 1e-1)}


class DCGANSVM(Method):
    """`width`, `z_dim`, `size`: the DCGAN (paper: 64, 100, 64 px). `trials`: Bayesian
    optimisation trials of the RBF SVM; `folds`: grouped CV folds (paper: 10); `c_grid`:
    the C values tried for each linear AU SVM (paper: LibSVM, no search described, so C = 1,
    LibSVM's default); `generated`: faces drawn for the quality report (0: none)."""

    def __init__(self, info, width: int = 64, z_dim: int = 100, size: int = 64,
                 trials: int = 30, folds: int = 10, c_grid: tuple = (1.0,),
                 generated: int = 1000):
        width, z_dim, size = (_integer(n, v, 1) for n, v in (("width", width),
                                                             ("z_dim", z_dim), ("size", size)))
        self.G = DCGANGenerator(info.in_chans, size, z_dim=z_dim, width=width)
        self.D = DCGANDiscriminator(info.in_chans, size, width=width)
        self.trials, self.folds = _integer("trials", trials, 1), _integer("folds", folds, 2)
        self.generated = _integer("generated", generated, 0)
        grid = (c_grid,) if isinstance(c_grid, (int, float)) else c_grid
        try:
            self.c_grid = [float(c) for c in grid]
        except (TypeError, ValueError) as exc:
            raise UserError(f"option model.c_grid: expected a list of numbers, got "
                            f"{c_grid!r}") from exc
        self.svm: FeatureClassifier | None = None
        self.features: DiscriminatorFeatures | None = None  # the frozen D, after fit

    def _classifier(self, task: str, device) -> FeatureClassifier:
        extractor = network_features(self.features, device)
        if task == "au":
            return FeatureClassifier(extractor, SVC(kernel="linear"), {"C": self.c_grid},
                                     folds=self.folds)
        return FeatureClassifier(extractor, SVC(kernel="rbf"), folds=self.folds,
                                 search="bayes", space=RBF_SPACE, trials=self.trials)

    def fit(self, train, val, ctx) -> None:
        pretrain = ctx.dataset("pretrain")
        train_or_load(ctx, self.G, self.D, pretrain)
        self.G.to(ctx.device)
        self.features = DiscriminatorFeatures(self.D.to(ctx.device))
        if self.generated:
            real = pretraining_images(pretrain, self.D.body[0].in_channels, self.D.size)
            report = write_report(self.G, real, self.generated, ctx.seed, ctx.artifacts)
            ctx.extra.setdefault("bookkeeping", {})["generation"] = report
            ctx.log(f"generated faces: {report}")
        self.svm = self._classifier(ctx.task.name, ctx.device)
        self.svm.fit(train, val, ctx)

    def predict(self, images: torch.Tensor) -> torch.Tensor:
        return self.svm.predict(images)


def _integer(name: str, value, low: int) -> int:
    """Option model.`name` as an integer >= `low`, else a UserError naming it."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)) \
            or not str(value).strip().lstrip("-").isdigit() or int(value) < low:
        raise UserError(f"option model.{name}: expected an integer >= {low}, got {value!r}")
    return int(value)
