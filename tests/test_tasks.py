"""Tasks as plugins: task choice, the AU task end to end (metrics against scikit-learn,
masked unknown labels, the standard loop and hog-svm-au), listing by task."""

import json

import numpy as np
import pytest
import torch
from sklearn.metrics import f1_score, roc_auc_score

from ferbench.config import RunConfig
from ferbench.engine.plan import choose_task
from ferbench.errors import UserError
from ferbench.metrics import au as au_metrics
from ferbench.plugins import load_registry
from ferbench.tasks.au_training import MaskedBCE, tune_thresholds

SMALL = ["-o", "data.subjects=8", "-o", "data.per_class=3", "--threads", "1"]


def _random_au(n=60, a=5, seed=0):
    rng = np.random.default_rng(seed)
    targets = rng.integers(0, 2, (n, a)).astype(np.uint8)
    targets[:, 1] = 0  # an AU with no positive: AUC undefined
    targets[rng.random((n, a)) < 0.15] = 255  # unknown labels
    scores = rng.random((n, a)).astype(np.float32)
    return torch.from_numpy(scores), torch.from_numpy(targets)


def test_au_metrics_equal_scikit_learn_with_masks_and_a_negative_only_au():
    scores, targets = _random_au()
    s, t = scores.numpy(), targets.numpy()
    f1 = au_metrics.per_au_f1(scores, targets, 5)
    auc = au_metrics.per_au_auc(scores, targets, 5)
    for j in range(5):
        known = t[:, j] != 255
        expected = f1_score(t[known, j], s[known, j] >= 0.5, zero_division=0)
        assert f1[j] == pytest.approx(expected, abs=1e-6)
        if j == 1:
            assert auc[j] is None  # no positive among the known labels
        else:
            assert auc[j] == pytest.approx(roc_auc_score(t[known, j], s[known, j]), abs=1e-6)
    defined = [a for a in auc if a is not None]
    assert au_metrics.mean_auc(scores, targets, 5) == pytest.approx(np.mean(defined))
    assert au_metrics.mean_f1(scores, targets, 5) == pytest.approx(np.mean(f1))


def test_unknown_labels_are_not_negatives_in_the_loss():
    logits = torch.tensor([[3.0, -2.0], [0.5, 1.0]])
    known = torch.tensor([[1, 0], [255, 255]], dtype=torch.uint8)
    expected = torch.nn.functional.binary_cross_entropy_with_logits(
        logits[0], torch.tensor([1.0, 0.0]))
    assert MaskedBCE()(logits, known).item() == pytest.approx(expected.item(), rel=1e-6)


def test_thresholds_tuned_on_validation_maximise_f1():
    scores = torch.tensor([[0.2], [0.25], [0.1], [0.05]])
    targets = torch.tensor([[1], [1], [0], [0]], dtype=torch.uint8)
    threshold = tune_thresholds(scores, targets)[0].item()
    assert 0.1 < threshold <= 0.2


def test_task_defaults_to_the_first_shared_one_and_explains_a_mismatch():
    registry = load_registry()
    spec = registry.get("models", "tiny-cnn")
    assert choose_task(registry, RunConfig(model="tiny-cnn", dataset="synthfer"),
                       spec) == "expression"
    hog_au = registry.get("models", "hog-svm-au")
    assert choose_task(registry, RunConfig(model="hog-svm-au", dataset="synthfer"),
                       hog_au) == "au"
    with pytest.raises(UserError, match="share no task"):
        choose_task(registry, RunConfig(model="hog-svm-au", dataset="jaffe"), hog_au)
    with pytest.raises(UserError, match="--task transfer: model tiny-cnn supports"):
        choose_task(registry, RunConfig(model="tiny-cnn", dataset="synthfer",
                                        task="transfer"), spec)
    derived = RunConfig(model="hog-svm-au", dataset="jaffe",
                        data_options={"aus_from_emotion": True})
    assert choose_task(registry, derived, hog_au) == "au"


def _au_run(cli, tmp_path, model, *extra):
    code, out, err = cli("run", "--task", "au", "--model", model, "--dataset", "synthfer",
                         "--json", "--db", str(tmp_path / "r.db"), *SMALL, *extra)
    assert code == 0, err
    return json.loads(out)


def test_au_task_trains_the_standard_loop_and_records_per_au_metrics(cli, tmp_path):
    record = _au_run(cli, tmp_path, "tiny-cnn", "--epochs", "2")
    assert record["task"] == "au" and record["config"]["task"] == "au"
    metrics, books = record["metrics"], record["bookkeeping"]
    codes = books["au_codes"]
    assert list(metrics["per_au_f1"]) == [f"AU{c}" for c in codes]
    assert 0 <= metrics["mean_f1"] <= 1 and metrics["aus_averaged"] <= len(codes)
    assert "epochs" not in metrics and books["epochs"] == 2  # bookkeeping kept apart
    folder = record["artifacts"]
    saved = np.load(f"{folder}/predictions.npz")
    assert saved["scores"].shape == saved["targets"].shape == (books["n_test"], len(codes))
    assert ((saved["scores"] >= 0) & (saved["scores"] <= 1)).all()  # probabilities
    history = json.loads(open(f"{folder}/metrics.json").read())["history"]
    assert [h["epoch"] for h in history] == [1, 2] and "val_mean_f1" in history[0]


def test_hog_svm_au_beats_the_positive_rate_baseline(cli, tmp_path):
    record = _au_run(cli, tmp_path, "hog-svm-au", "-o", "model.c_grid=[0.1]",
                     "-o", "model.folds=2")
    # a constant score (the positive-rate baseline) has AUC 0.5 on every AU
    assert record["metrics"]["mean_auc"] > 0.6


def test_au_selection_option_orders_columns(cli, tmp_path):
    record = _au_run(cli, tmp_path, "tiny-cnn", "--epochs", "1", "-o", "data.aus=12,1")
    assert list(record["metrics"]["per_au_f1"]) == ["AU12", "AU1"]


def test_list_models_by_task(cli):
    code, out, _ = cli("list", "models", "--task", "au")
    assert code == 0 and "hog-svm-au" in out and "resnet18" in out
    assert "hog-svm-rbf" not in out
    code, out, _ = cli("list", "tasks")
    assert code == 0 and all(t in out for t in ("expression", "au", "transfer"))
