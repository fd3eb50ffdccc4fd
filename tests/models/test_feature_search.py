"""FeatureClassifier's Bayesian search (optuna TPE over subject-grouped CV) against plain
scikit-learn on the same data, the grid search it leaves unchanged, and its optional
standardisation."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.model_selection import GridSearchCV, GroupKFold, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import Normalizer, StandardScaler
from sklearn.svm import SVC, LinearSVC

from ferbench.data.synthfer import load as load_synthfer
from ferbench.engine.context import RunContext
from ferbench.errors import UserError
from ferbench.models.classic import pixel_features
from ferbench.models.features import FeatureClassifier
from ferbench.tasks.expression import ExpressionTask

SPACE = {"C": ("log", 1e-2, 1e2), "gamma": ("log", 1e-4, 1e-1)}


@pytest.fixture(scope="module")
def faces():
    """synthfer at 16 px: 6 subjects x 8 classes x 2 takes (s005 held out)."""
    data = load_synthfer(image_size=16, subjects=6, per_class=2)
    return data.subset(data.subjects != "s005"), data.subset(data.subjects == "s005")


def _ctx(tmp_path, faces, seed=0) -> RunContext:
    return RunContext(device=torch.device("cpu"), amp_dtype=None, seed=seed, hparams={},
                      artifacts=tmp_path, task=ExpressionTask(), info=faces[0].info,
                      quiet=True)


def _reference_pipeline(**params) -> Pipeline:
    return Pipeline([("l2", Normalizer()), ("scale", StandardScaler()),
                     ("clf", SVC(kernel="rbf", **params))])


def test_bayes_search_score_is_sklearns_cross_val_score(tmp_path, faces):
    train, _ = faces
    clf = FeatureClassifier(pixel_features, SVC(kernel="rbf"), l2=True, folds=4,
                            search="bayes", space=SPACE, trials=6)
    ctx = _ctx(tmp_path, faces)
    clf.fit(train, train, ctx)
    (record,) = clf.search
    assert record["search"] == "bayes" and record["trials"] == 6
    assert set(record["params"]) == {"C", "gamma"}
    assert 1e-2 <= record["params"]["C"] <= 1e2
    x, y = pixel_features(train.images), train.labels.numpy()
    expected = cross_val_score(_reference_pipeline(**record["params"]), x, y,
                               groups=train.subjects, cv=GroupKFold(n_splits=4),
                               scoring="accuracy").mean()
    assert record["cv_score"] == pytest.approx(expected, abs=1e-12)
    assert ctx.extra["search"] == clf.search
    # the refitted model is the best parameters fitted on every training sample
    reference = _reference_pipeline(**record["params"]).fit(x, y)
    np.testing.assert_allclose(clf.models[0].decision_function(x),
                               reference.decision_function(x), rtol=1e-6, atol=1e-8)


def test_bayes_search_is_seeded(tmp_path, faces):
    train, _ = faces

    def params(seed):
        clf = FeatureClassifier(pixel_features, SVC(kernel="rbf"), folds=3, search="bayes",
                                space=SPACE, trials=4)
        clf.fit(train, train, _ctx(tmp_path, faces, seed))
        return clf.search[0]["params"]

    assert params(0) == params(0)
    assert params(0) != params(1)


def test_grid_search_is_unchanged(tmp_path, faces):
    train, _ = faces
    clf = FeatureClassifier(pixel_features, SVC(kernel="linear"), {"C": [0.01, 1.0]},
                            l2=True, folds=3)
    clf.fit(train, train, _ctx(tmp_path, faces))
    x, y = pixel_features(train.images), train.labels.numpy()
    grid = GridSearchCV(Pipeline([("l2", Normalizer()), ("scale", StandardScaler()),
                                  ("clf", SVC(kernel="linear"))]),
                        {"clf__C": [0.01, 1.0]}, scoring="accuracy", cv=GroupKFold(3))
    grid.fit(x, y, groups=train.subjects)
    assert clf.search == [{"params": {"C": grid.best_params_["clf__C"]},
                           "cv_score": float(grid.best_score_), "scoring": "accuracy"}]


@pytest.mark.parametrize("l2", [False, True])
def test_standardize_false_is_a_plain_classifier_on_the_features(tmp_path, faces, l2):
    train, test = faces
    clf = FeatureClassifier(pixel_features, LinearSVC(random_state=0), {"C": [0.1]}, l2=l2,
                            standardize=False, folds=3)
    clf.fit(train, train, _ctx(tmp_path, faces))
    assert [name for name, _ in clf.models[0].steps] == (["l2", "clf"] if l2 else ["clf"])
    prepare = Normalizer().transform if l2 else (lambda x: x)
    plain = LinearSVC(C=0.1, random_state=0).fit(prepare(pixel_features(train.images)),
                                                 train.labels.numpy())
    x_test = prepare(pixel_features(test.images))
    scores = clf.predict(test.images).numpy()
    np.testing.assert_allclose(scores, plain.decision_function(x_test), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(scores.argmax(1), plain.predict(x_test))


def test_standardize_is_on_by_default():
    clf = FeatureClassifier(pixel_features, LinearSVC(), {"C": [1.0]}, l2=True)
    assert [name for name, _ in clf._pipeline().steps] == ["l2", "scale", "clf"]


def test_choice_and_int_parameters(tmp_path, faces):
    train, test = faces
    clf = FeatureClassifier(pixel_features, SVC(), folds=3, search="bayes", trials=3,
                            space={"kernel": ("choice", ["linear", "rbf"]),
                                   "degree": ("int", 1, 3)})
    clf.fit(train, train, _ctx(tmp_path, faces))
    params = clf.search[0]["params"]
    assert params["kernel"] in ("linear", "rbf") and params["degree"] in (1, 2, 3)
    assert clf.predict(test.images).shape == (len(test), len(train.info.class_names))


@pytest.mark.parametrize("kwargs, message", [
    ({"search": "random", "space": SPACE}, "search 'random' unknown"),
    ({"search": "grid"}, "needs a grid"),
    ({"search": "bayes"}, "needs a space"),
    ({"search": "bayes", "space": {"C": ("exp", 1, 2)}}, "space['C']"),
    ({"search": "bayes", "space": {"C": ("log", 0, 2)}}, "0 < low < high"),
    ({"search": "bayes", "space": {"C": ("float", 2, 1)}}, "space['C']"),
    ({"search": "bayes", "space": {"k": ("choice", [])}}, "('choice', [values])"),
    ({"search": "bayes", "space": SPACE, "trials": 0}, "trials must be >= 1"),
])
def test_bad_search_settings_are_user_errors(kwargs, message):
    with pytest.raises(UserError) as error:
        FeatureClassifier(pixel_features, SVC(), **kwargs)
    assert message in str(error.value)


def test_bayes_search_needs_two_subjects(tmp_path, faces):
    train, _ = faces
    one = train.subset(train.subjects == "s000")
    clf = FeatureClassifier(pixel_features, SVC(), search="bayes", space=SPACE, trials=2)
    with pytest.raises(UserError, match="at least 2 training subjects"):
        clf.fit(one, one, _ctx(tmp_path, (one, one)))
