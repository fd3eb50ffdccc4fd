"""Classification metrics agree with scikit-learn on the same predictions."""

import numpy as np
import pytest
import torch
from sklearn import metrics as skm

from ferbench.metrics import classification as cls


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


def test_accuracy_and_balanced(predictions):
    scores, targets = predictions
    preds = scores.argmax(1).numpy()
    assert cls.accuracy(scores, targets, 6) == pytest.approx(skm.accuracy_score(targets, preds))
    assert cls.balanced_accuracy(scores, targets, 6) == pytest.approx(
        skm.recall_score(targets, preds, labels=_present(targets), average="macro",
                         zero_division=0))


@pytest.mark.parametrize("name,fn", [("macro_precision", skm.precision_score),
                                     ("macro_recall", skm.recall_score),
                                     ("macro_f1", skm.f1_score)])
def test_macro_scores(predictions, name, fn):
    scores, targets = predictions
    preds = scores.argmax(1).numpy()
    expected = fn(targets, preds, labels=_present(targets), average="macro", zero_division=0)
    assert getattr(cls, name)(scores, targets, 6) == pytest.approx(expected, abs=1e-6)


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


def test_probabilities_are_not_softmaxed_twice():
    probs = torch.tensor([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6], [0.5, 0.4, 0.1]])
    targets = torch.tensor([0, 1, 2, 1])
    expected = skm.roc_auc_score(targets.numpy() == 1, probs[:, 1].numpy())
    assert cls.per_class_auc(probs, targets, 3)[1] == pytest.approx(expected)


def test_confusion_matrix(predictions):
    scores, targets = predictions
    expected = skm.confusion_matrix(targets, scores.argmax(1), labels=list(range(6)))
    assert cls.confusion_matrix(scores, targets, 6) == expected.tolist()
