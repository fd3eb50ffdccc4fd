"""Feature + classifier methods: a frozen feature extractor (HOG, raw pixels, a network's
activations, several concatenated) -> optional L2 normalisation -> optional standardisation
(on by default) -> a scikit-learn classifier whose hyper-parameters are searched by
cross-validation grouped by subject on the training subjects only: a grid (GridSearchCV with
GroupKFold) or Bayesian optimisation (optuna's seeded TPE sampler scoring each trial with
cross_val_score over the same GroupKFold). The AU task gets one classifier per AU, fitted on
that AU's known labels."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, GroupKFold, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import Normalizer, StandardScaler

from ..data.aus import UNKNOWN
from ..data.faceset import FaceSet
from ..errors import UserError
from ..method import Method
from ..progress import progress

SEARCHES = ("grid", "bayes")
SPACE_KINDS = ("log", "float", "int", "choice")
Extractor = Callable[[torch.Tensor], np.ndarray]  # uint8 (B, C, H, W) -> (B, D)


def concatenate(*extractors: Extractor) -> Extractor:
    """Features of several extractors side by side."""
    return lambda images: np.concatenate([e(images) for e in extractors], axis=1)


def network_features(module: torch.nn.Module, device: torch.device | str = "cpu",
                     batch_size: int = 256) -> Extractor:
    """A frozen network (uint8 images -> (B, D) activations) as an extractor."""
    module = module.eval()

    @torch.no_grad()
    def extract(images: torch.Tensor) -> np.ndarray:
        out = [module(images[i:i + batch_size].to(device)).flatten(1).float().cpu()
               for i in range(0, len(images), batch_size)]
        return torch.cat(out).numpy()
    return extract


class FeatureClassifier(Method):
    """`extractor` -> [L2] -> [StandardScaler] -> `classifier` (a scikit-learn estimator).

    `l2=True` L2-normalises each feature vector; `standardize=False` leaves out the
    StandardScaler (on by default), for methods that feed the classifier unscaled features.

    `search="grid"` (default) tries every combination of `grid` (e.g. {"C": [0.1, 1, 10]});
    `search="bayes"` runs `trials` trials of a TPE sampler seeded with the run's seed over
    `space`, each parameter given as ("log", low, high), ("float", low, high),
    ("int", low, high) or ("choice", [values]), e.g.
    {"C": ("log", 1e-3, 1e3), "gamma": ("log", 1e-5, 1.0)}. Both score by `folds`-fold
    GroupKFold over the training subjects and refit the best parameters on all of them."""

    def __init__(self, extractor: Extractor, classifier, grid: dict[str, Sequence] | None = None,
                 *, l2: bool = False, standardize: bool = True, folds: int = 5,
                 search: str = "grid", space: dict[str, tuple] | None = None,
                 trials: int = 30):
        if search not in SEARCHES:
            raise UserError(f"feature classifier: search {search!r} unknown; expected one of "
                            f"{', '.join(SEARCHES)}")
        if search == "grid" and not grid:
            raise UserError("feature classifier: search='grid' needs a grid of parameters")
        if search == "bayes":
            _check_space(space)
            if trials < 1:
                raise UserError(f"feature classifier: trials must be >= 1, got {trials}")
        self.extractor, self.classifier, self.l2, self.folds = extractor, classifier, l2, folds
        self.standardize = standardize
        self.grid = {f"clf__{k}": list(v) for k, v in (grid or {}).items()}
        self.kind, self.space, self.trials = search, dict(space or {}), trials
        self.seed = 0  # the run's seed, set by fit
        self.models: list = []  # one per class set (expression) or per AU
        self.task = None
        self.search: list[dict] = []

    def _pipeline(self) -> Pipeline:
        steps = [("l2", Normalizer())] if self.l2 else []
        if self.standardize:
            steps.append(("scale", StandardScaler()))
        return Pipeline([*steps, ("clf", clone(self.classifier))])

    def _with(self, params: dict) -> Pipeline:
        """A fresh pipeline with the classifier's `params` set."""
        return self._pipeline().set_params(**{f"clf__{k}": v for k, v in params.items()})

    def _search(self, x: np.ndarray, y: np.ndarray, groups: np.ndarray, scoring: str):
        n_groups = len(set(groups))
        if n_groups < 2:
            raise UserError(f"feature classifier: a subject-grouped search needs at least 2 "
                            f"training subjects, found {n_groups}")
        cv = GroupKFold(n_splits=min(self.folds, n_groups))
        if self.kind == "bayes":
            return self._bayes(x, y, groups, scoring, cv)
        search = GridSearchCV(self._pipeline(), self.grid, scoring=scoring, cv=cv, refit=True)
        search.fit(x, y, groups=groups)
        self.search.append({"params": {k[5:]: v for k, v in search.best_params_.items()},
                            "cv_score": float(search.best_score_), "scoring": scoring})
        return search.best_estimator_

    def _bayes(self, x: np.ndarray, y: np.ndarray, groups: np.ndarray, scoring: str,
               cv: GroupKFold):
        """Bayesian optimisation (seeded TPE) of the grouped-CV score over `space`."""
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)

        def objective(trial) -> float:
            params = {name: _suggest(trial, name, spec) for name, spec in self.space.items()}
            return float(cross_val_score(self._with(params), x, y, groups=groups, cv=cv,
                                         scoring=scoring).mean())

        study = optuna.create_study(direction="maximize",
                                    sampler=optuna.samplers.TPESampler(seed=self.seed))
        study.optimize(objective, n_trials=self.trials)
        best = study.best_trial
        self.search.append({"params": dict(best.params), "cv_score": float(best.value),
                            "scoring": scoring, "search": "bayes", "trials": self.trials})
        return self._with(best.params).fit(x, y)

    def fit(self, train: FaceSet, val: FaceSet, ctx) -> None:
        """Search (grouped CV) and fit on the training part; the validation part stays
        unseen, for what the task tunes on it (AU thresholds), and the test split too."""
        self.task, self.seed = ctx.task, ctx.seed
        data = [train]
        x = np.concatenate([self.extractor(d.images) for d in data])
        groups = np.concatenate([d.subjects for d in data])
        if self.task.name == "au":
            targets = np.concatenate([d.au_presence.numpy() for d in data])
            self.models = []
            for j in progress(range(targets.shape[1]), description="SVM search per AU"):
                known = targets[:, j] != UNKNOWN
                y = targets[known, j]
                if len(np.unique(y)) < 2:  # a constant AU: predict its only value
                    self.models.append(float(y[0]) if len(y) else 0.0)
                    continue
                self.models.append(self._search(x[known], y, groups[known], "f1"))
        else:
            y = np.concatenate([d.labels.numpy() for d in data])
            self.models = [self._search(x, y, groups, "accuracy")]
        best = np.mean([s["cv_score"] for s in self.search]) if self.search else None
        ctx.log(f"grouped CV ({self.folds} folds, {self.kind} search): {self.search}")
        ctx.extra["search"] = self.search
        ctx.on_epoch_end(1, {"epoch": 1, "cv_score": best})
        self.num_outputs = ctx.info.num_outputs

    def _scores(self, model, x: np.ndarray) -> np.ndarray:
        if hasattr(model, "predict_proba"):
            return model.predict_proba(x)
        return model.decision_function(x)

    def predict(self, images: torch.Tensor) -> torch.Tensor:
        """Expression: class probabilities or decision values (B, K). AUs: per-AU
        probabilities, the sigmoid of the SVM decision value (0.5 = the SVM's boundary)."""
        x = self.extractor(images.cpu())
        if self.task.name == "au":
            columns = []
            for model in self.models:
                if isinstance(model, float):
                    columns.append(np.full(len(x), model))
                else:
                    columns.append(1 / (1 + np.exp(-model.decision_function(x))))
            return torch.as_tensor(np.stack(columns, 1), dtype=torch.float32)
        model = self.models[0]
        raw = self._scores(model, x)
        proba = hasattr(model, "predict_proba")
        if raw.ndim == 1:  # binary decision values
            raw = np.stack([-raw, raw], 1)
        scores = np.full((len(x), self.num_outputs), 0.0 if proba else -1e9)
        scores[:, model.classes_] = raw
        return torch.as_tensor(scores, dtype=torch.float32)


def _check_space(space: dict[str, tuple] | None) -> None:
    """UserError naming the first malformed entry of a Bayesian search space."""
    if not space:
        raise UserError("feature classifier: search='bayes' needs a space, e.g. "
                        "{'C': ('log', 1e-3, 1e3)}")
    for name, spec in space.items():
        kind = spec[0] if isinstance(spec, (tuple, list)) and spec else None
        if kind not in SPACE_KINDS:
            raise UserError(f"feature classifier: space[{name!r}] = {spec!r}; expected "
                            f"(kind, ...) with kind one of {', '.join(SPACE_KINDS)}")
        if kind == "choice" and (len(spec) != 2 or not spec[1]):
            raise UserError(f"feature classifier: space[{name!r}] = {spec!r}; expected "
                            "('choice', [values])")
        if kind != "choice" and (len(spec) != 3 or not spec[1] < spec[2]
                                 or (kind == "log" and spec[1] <= 0)):
            raise UserError(f"feature classifier: space[{name!r}] = {spec!r}; expected "
                            f"({kind!r}, low, high) with 0 < low < high for log")


def _suggest(trial, name: str, spec: tuple):
    """One parameter of a trial from its ("log" | "float" | "int" | "choice", ...) spec."""
    kind = spec[0]
    if kind == "choice":
        return trial.suggest_categorical(name, list(spec[1]))
    if kind == "int":
        return trial.suggest_int(name, int(spec[1]), int(spec[2]))
    return trial.suggest_float(name, float(spec[1]), float(spec[2]), log=kind == "log")
