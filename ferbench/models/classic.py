"""Classic baselines through the Method interface: HOG + SVM (linear, RBF) and logistic
regression on raw pixels (scikit-learn). C is chosen on the validation split."""

from __future__ import annotations

import numpy as np
import torch
from skimage.feature import hog
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, LinearSVC

from ..data.faceset import FaceSet
from ..data.info import DatasetInfo
from ..errors import UserError
from ..method import Method

C_GRID = (0.01, 0.1, 1.0, 10.0)


def hog_features(images: torch.Tensor, cell: int = 8) -> np.ndarray:
    """HOG descriptors (9 orientations, cell x cell pixels, 2x2 blocks) of uint8 images."""
    gray = images.float().mean(1).numpy()
    return np.stack([hog(im, orientations=9, pixels_per_cell=(cell, cell),
                         cells_per_block=(2, 2), feature_vector=True) for im in gray])


def pixel_features(images: torch.Tensor) -> np.ndarray:
    return images.reshape(len(images), -1).float().numpy() / 255.0


class SklearnMethod(Method):
    """Features -> standardised -> scikit-learn classifier; C picked on validation accuracy,
    then refit on train + validation."""

    def __init__(self, info: DatasetInfo, features, make_classifier, c_grid=C_GRID):
        self.info, self.features, self.make_classifier = info, features, make_classifier
        self.c_grid = tuple(float(c) for c in c_grid)
        self.pipeline = None
        self.best_c: float | None = None

    def _fit(self, x: np.ndarray, y: np.ndarray, c: float):
        return make_pipeline(StandardScaler(), self.make_classifier(c)).fit(x, y)

    def fit(self, train: FaceSet, val: FaceSet, ctx) -> None:
        xt, yt = self.features(train.images), train.labels.numpy()
        xv, yv = self.features(val.images), val.labels.numpy()
        scores = {c: self._fit(xt, yt, c).score(xv, yv) for c in self.c_grid}
        self.best_c = max(scores, key=lambda c: (scores[c], -c))
        ctx.log(f"validation accuracy by C: {scores}; chosen C={self.best_c}")
        ctx.on_epoch_end(1, {"epoch": 1, "val_accuracy": scores[self.best_c],
                             "C": self.best_c})
        self.pipeline = self._fit(np.concatenate([xt, xv]), np.concatenate([yt, yv]),
                                  self.best_c)

    def predict(self, images: torch.Tensor) -> torch.Tensor:
        """Class scores: probabilities where the classifier has them, else decision values
        (softmax is applied by the AUC metric)."""
        x = self.features(images.cpu())
        clf = self.pipeline[-1]
        proba = hasattr(clf, "predict_proba")
        raw = self.pipeline.predict_proba(x) if proba else self.pipeline.decision_function(x)
        if raw.ndim == 1:  # binary decision values
            raw = np.stack([-raw, raw], 1)
        scores = np.full((len(x), self.info.num_classes), 0.0 if proba else -1e9)
        scores[:, clf.classes_] = raw
        return torch.as_tensor(scores, dtype=torch.float32)


def _options(name: str, options: dict) -> tuple:
    unknown = set(options) - {"c_grid"}
    if unknown:
        raise UserError(f"{name}: unknown option(s) {', '.join(sorted(unknown))}; "
                        "expected c_grid")
    grid = options.get("c_grid", C_GRID)
    if isinstance(grid, (int, float)):
        grid = (grid,)
    try:
        return tuple(float(c) for c in grid)
    except (TypeError, ValueError) as exc:
        raise UserError(f"{name}: option c_grid: expected a list of numbers, "
                        f"got {grid!r}") from exc


def hog_svm_linear(info: DatasetInfo, **options) -> Method:
    return SklearnMethod(info, hog_features,
                         lambda c: LinearSVC(C=c, max_iter=5000, dual="auto"),
                         _options("hog-svm-linear", options))


def hog_svm_rbf(info: DatasetInfo, **options) -> Method:
    return SklearnMethod(info, hog_features, lambda c: SVC(C=c, kernel="rbf", gamma="scale"),
                         _options("hog-svm-rbf", options))


def logreg_pixels(info: DatasetInfo, **options) -> Method:
    return SklearnMethod(info, pixel_features, lambda c: LogisticRegression(C=c, max_iter=300),
                         _options("logreg-pixels", options))
