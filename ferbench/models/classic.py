"""Classic baselines as feature + classifier methods: HOG + SVM (linear, RBF, one linear
SVM per AU) and logistic regression on raw pixels (scikit-learn), C searched by
subject-grouped cross-validation on the training subjects."""

from __future__ import annotations

import numpy as np
import torch
from skimage.feature import hog
from sklearn.linear_model import LogisticRegression
from sklearn.svm import SVC, LinearSVC

from ..data.info import DatasetInfo
from ..errors import UserError
from ..method import Method
from .features import FeatureClassifier

C_GRID = (0.01, 0.1, 1.0, 10.0)


def hog_features(images: torch.Tensor, cell: int = 8) -> np.ndarray:
    """HOG descriptors (9 orientations, cell x cell pixels, 2x2 blocks) of uint8 images."""
    gray = images.float().mean(1).numpy()
    return np.stack([hog(im, orientations=9, pixels_per_cell=(cell, cell),
                         cells_per_block=(2, 2), feature_vector=True) for im in gray])


def pixel_features(images: torch.Tensor) -> np.ndarray:
    return images.reshape(len(images), -1).float().numpy() / 255.0


def _options(name: str, options: dict) -> dict:
    unknown = set(options) - {"c_grid", "folds"}
    if unknown:
        raise UserError(f"{name}: unknown option(s) {', '.join(sorted(unknown))}; "
                        "expected c_grid, folds")
    grid = options.get("c_grid", C_GRID)
    if isinstance(grid, (int, float)):
        grid = (grid,)
    try:
        grid = tuple(float(c) for c in grid)
    except (TypeError, ValueError) as exc:
        raise UserError(f"{name}: option c_grid: expected a list of numbers, "
                        f"got {grid!r}") from exc
    return {"grid": {"C": grid}, "folds": int(options.get("folds", 5))}


def hog_svm_linear(info: DatasetInfo, **options) -> Method:
    o = _options("hog-svm-linear", options)
    return FeatureClassifier(hog_features, LinearSVC(max_iter=5000, dual="auto"), o["grid"],
                             folds=o["folds"])


def hog_svm_rbf(info: DatasetInfo, **options) -> Method:
    o = _options("hog-svm-rbf", options)
    return FeatureClassifier(hog_features, SVC(kernel="rbf", gamma="scale"), o["grid"],
                             folds=o["folds"])


def hog_svm_au(info: DatasetInfo, **options) -> Method:
    o = _options("hog-svm-au", options)
    return FeatureClassifier(hog_features, LinearSVC(max_iter=5000, dual="auto"), o["grid"],
                             folds=o["folds"])


def logreg_pixels(info: DatasetInfo, **options) -> Method:
    o = _options("logreg-pixels", options)
    return FeatureClassifier(pixel_features, LogisticRegression(max_iter=300), o["grid"],
                             folds=o["folds"])
