"""Classification metrics agree with scikit-learn (and ECE with numpy) on the same predictions."""

import warnings

import numpy as np
import pytest
import torch
from sklearn import metrics as skm

from ferbench.metrics import classification as cls
from ferbench.metrics.catalog import METRICS


@pytest.fixture(params=[0, 1, 2])
def predictions(request):
    gen = torch.Generator().manual_seed(request.param)
    scores = torch.randn(300, 6, generator=gen)
    targets = torch.randint(0, 6, (300,), generator=gen)
    scores[torch.arange(300), targets] += 1.0  # better than chance
    if request.param == 2:  # a class absent from the targets, as in a small fold
        targets[targets == 5] = 4
    return scores, targets


def _present(targets):
    return sorted(set(targets.tolist()))


def _sklearn(fn, *args, **kwargs):
    """scikit-learn with its own defaults, its ill-defined-score warnings silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def test_accuracy_and_balanced(predictions):
    scores, targets = predictions
    preds = scores.argmax(1).numpy()
    assert cls.accuracy(scores, targets, 6) == pytest.approx(skm.accuracy_score(targets, preds))
    assert cls.balanced_accuracy(scores, targets, 6) == pytest.approx(
        _sklearn(skm.balanced_accuracy_score, targets, preds))


MACRO = [("macro_precision", skm.precision_score), ("macro_recall", skm.recall_score),
         ("macro_f1", skm.f1_score)]


@pytest.mark.parametrize("name,fn", MACRO)
def test_macro_scores_follow_sklearn_defaults(predictions, name, fn):
    scores, targets = predictions
    preds = scores.argmax(1).numpy()
    expected = _sklearn(fn, targets, preds, average="macro")
    assert getattr(cls, name)(scores, targets, 6) == pytest.approx(expected, abs=1e-6)


def _one_hot_scores(preds, num_classes):
    return torch.nn.functional.one_hot(torch.tensor(preds), num_classes).float() * 5


def test_class_predicted_but_absent_from_targets_counts_in_macro_f1():
    targets = torch.tensor([0, 1, 2, 3, 4, 5])
    preds = [0, 6, 6, 6, 6, 6]  # class 6 never occurs in the targets
    scores = _one_hot_scores(preds, 7)
    expected = _sklearn(skm.f1_score, targets.numpy(), preds, average="macro")
    assert expected == pytest.approx(1 / 7)  # 0.142..., not 1/6 over the present classes
    assert cls.macro_f1(scores, targets, 7) == pytest.approx(expected)
    for name, fn in MACRO[:2]:
        assert getattr(cls, name)(scores, targets, 7) == pytest.approx(
            _sklearn(fn, targets.numpy(), preds, average="macro"))
    assert cls.balanced_accuracy(scores, targets, 7) == pytest.approx(
        _sklearn(skm.balanced_accuracy_score, targets.numpy(), preds))


def test_single_class_fold():
    targets = torch.full((8,), 2)
    preds = [2, 2, 2, 0, 2, 1, 2, 2]
    scores = _one_hot_scores(preds, 4)
    for name, fn in MACRO:
        expected = _sklearn(fn, targets.numpy(), preds, average="macro")
        assert getattr(cls, name)(scores, targets, 4) == pytest.approx(expected), name
    assert cls.macro_precision(scores, targets, 4) == pytest.approx(6 / 6 / 3)
    assert cls.balanced_accuracy(scores, targets, 4) == pytest.approx(
        _sklearn(skm.balanced_accuracy_score, targets.numpy(), preds))
    assert cls.per_class_auc(scores, targets, 4) == [None, None, None, None]
    assert cls.macro_auc(scores, targets, 4) is None


def test_auc_one_vs_rest(predictions):
    scores, targets = predictions
    probs = scores.softmax(1).numpy()
    per_class = cls.per_class_auc(scores, targets, 6)
    for k in range(6):
        if k in _present(targets):
            expected = skm.roc_auc_score(targets.numpy() == k, probs[:, k])
            assert per_class[k] == pytest.approx(expected, abs=1e-5)
        else:
            assert per_class[k] is None
    expected = np.mean([skm.roc_auc_score(targets.numpy() == k, probs[:, k])
                        for k in _present(targets)])
    assert cls.macro_auc(scores, targets, 6) == pytest.approx(expected, abs=1e-5)


def test_per_class_recall_matches_sklearn(predictions):
    scores, targets = predictions
    preds = scores.argmax(1).numpy()
    expected = _sklearn(skm.recall_score, targets.numpy(), preds, labels=list(range(6)),
                        average=None)
    recalls = cls.per_class_recall(scores, targets, 6)
    for k in range(6):
        if k in _present(targets):
            assert recalls[k] == pytest.approx(expected[k])
        else:  # no positives: undefined, not sklearn's zero
            assert recalls[k] is None


def test_probabilities_are_not_softmaxed_twice():
    probs = torch.tensor([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6], [0.5, 0.4, 0.1]])
    targets = torch.tensor([0, 1, 2, 1])
    expected = skm.roc_auc_score(targets.numpy() == 1, probs[:, 1].numpy())
    assert cls.per_class_auc(probs, targets, 3)[1] == pytest.approx(expected)


def _numpy_ece(probs, targets, bins=15):
    confidence = probs.max(1)
    correct = probs.argmax(1) == targets
    which = np.digitize(confidence, np.linspace(0, 1, bins + 1)) - 1
    total = 0.0
    for b in range(bins + 1):
        members = which == b
        if members.any():
            gap = abs(correct[members].mean() - confidence[members].mean())
            total += members.mean() * gap
    return total


def test_ece_matches_a_direct_numpy_computation(predictions):
    scores, targets = predictions
    expected = _numpy_ece(scores.softmax(1).double().numpy(), targets.numpy())
    assert expected > 0.01
    assert cls.ece(scores, targets, 6) == pytest.approx(expected, abs=1e-5)


def test_ece_is_registered_lower_is_better():
    spec = next(spec for spec in METRICS if spec.name == "ece")
    assert spec.higher_is_better is False and spec.scalar
    assert spec.fn() is cls.ece


def test_confusion_matrix(predictions):
    scores, targets = predictions
    expected = skm.confusion_matrix(targets, scores.argmax(1), labels=list(range(6)))
    assert cls.confusion_matrix(scores, targets, 6) == expected.tolist()
