"""`ferbench compare`: two fake recipes in a temp store, paired by split, with fake
predictions.npz files."""

import json

import numpy as np
import pytest
from scipy import stats

from ferbench.errors import UserError
from ferbench.results.compare import compare, comparison_table
from ferbench.results.stats import paired_bootstrap
from ferbench.results.store import RunStore

FOLDS = 3


def _accuracy(scores, targets):
    return float(np.mean(scores.argmax(1) == targets))


def _record(model, recipe, fold, manifest=None):
    return {"task": "expression", "dataset": "toy", "protocol": "kfold", "fold": fold,
            "model": model, "recipe_hash": recipe, "seed": 0,
            "manifest": manifest or f"split-{fold}", "config": {"model": model}}


def _predictions(fold, boost, rng):
    keys = np.array([f"toy/{fold}/{i}" for i in range(30)])
    targets = (np.arange(30) + fold) % 3
    scores = rng.normal(size=(30, 3))
    scores[np.arange(30), targets] += boost
    return {"scores": scores, "targets": targets, "keys": keys}


@pytest.fixture
def store(tmp_path):
    """Recipe 'aaaaaaa1' (model small) and 'bbbbbbb2' (model big, better) on 3 folds; B's
    predictions.npz stores the test items in reverse order."""
    store = RunStore(tmp_path / "runs.sqlite")
    rng = np.random.default_rng(0)
    store.pooled = {"a": [], "b": [], "targets": [], "keys": []}
    for fold in range(FOLDS):
        for model, recipe, boost in (("small", "aaaaaaa1", 0.3), ("big", "bbbbbbb2", 1.5)):
            folder = tmp_path / f"{model}-{fold}"
            folder.mkdir()
            data = _predictions(fold, boost, rng)
            order = slice(None, None, -1) if model == "big" else slice(None)
            np.savez(folder / "predictions.npz", **{k: v[order] for k, v in data.items()})
            run_id = store.start({**_record(model, recipe, fold), "artifacts": str(folder)})
            store.finish(run_id, {"accuracy": _accuracy(data["scores"], data["targets"]),
                                  "macro_f1": 0.1 * fold}, {})
            store.pooled["a" if model == "small" else "b"].append(data["scores"])
            if model == "small":
                store.pooled["targets"].append(data["targets"])
                store.pooled["keys"].append(data["keys"])
    return store


def test_compare_two_recipes_on_identical_splits(store):
    result = compare(store, "aaaaaaa1", "big", metrics=lambda task: {"accuracy": _accuracy},
                     n_resamples=300, seed=4)
    assert result["a"]["label"] == "small (recipe aaaaaaa1)"
    assert result["b"]["label"] == "big (recipe bbbbbbb2)" and result["pairs"] == FOLDS
    rows = {row["metric"]: row for row in result["metrics"]}
    assert set(rows) == {"accuracy", "macro_f1"}
    runs = {r["id"]: r for r in store.list()}
    a = [runs[i]["metrics"]["accuracy"] for i in result["a"]["runs"]]
    b = [runs[i]["metrics"]["accuracy"] for i in result["b"]["runs"]]
    acc = rows["accuracy"]
    assert acc["mean_difference"] == pytest.approx(np.mean(np.subtract(b, a)))
    assert acc["wilcoxon"]["pvalue"] == pytest.approx(stats.wilcoxon(b, a).pvalue)
    assert "no power" in acc["wilcoxon"]["note"] and acc["n"] == FOLDS

    pooled = [np.concatenate(store.pooled[k]) for k in ("a", "b", "targets")]
    expected = paired_bootstrap(*pooled, _accuracy, 300, 4,
                                groups=np.concatenate(store.pooled["keys"]))
    boot = acc["bootstrap"]
    assert boot["difference"] == pytest.approx(expected.difference) and boot["difference"] > 0
    assert (boot["low"], boot["high"]) == pytest.approx((expected.low, expected.high))
    assert rows["macro_f1"]["bootstrap"] is None  # no prediction function given
    assert rows["macro_f1"]["mean_difference"] == 0 and \
        "no differences" in " ".join(result["notes"])
    text = comparison_table(result)
    assert text.splitlines()[0].startswith("A: small (recipe aaaaaaa1)")
    assert "accuracy" in text and "Δ pooled [95 % CI]" in text
    json.dumps(result)


def test_runs_resolve_by_id_and_prefix_and_missing_predictions_are_noted(store, tmp_path):
    ids = {(r["model"], r["fold"]): r["id"] for r in store.list()}
    (tmp_path / "big-1" / "predictions.npz").unlink()
    result = compare(store, str(ids["small", 1]), "bbbbbb",
                     metrics=lambda task: {"accuracy": _accuracy}, n_resamples=50)
    assert result["pairs"] == 1 and result["a"]["runs"] == [ids["small", 1]]
    assert result["metrics"][0]["bootstrap"] is None
    assert f"no predictions.npz for run(s) {ids['big', 1]}" in " ".join(result["notes"])
    assert "2 run(s) without a partner" in " ".join(result["notes"])


@pytest.mark.parametrize("a,b,error", [
    ("nothing", "big", "'nothing' names no finished run"),
    ("999", "big", "run 999: no such run"),
    ("small", "small-other", "has 2 recipes"),
])
def test_bad_names_are_user_errors(store, a, b, error):
    run_id = store.start(_record("small", "aaaaaaa9", 0))
    store.finish(run_id, {"accuracy": 0.5}, {})
    with pytest.raises(UserError, match=error):
        compare(store, a, b)


def test_prefix_of_several_hashes_is_refused(store):
    run_id = store.start(_record("other", "aaaaaaa9", 0))
    store.finish(run_id, {"accuracy": 0.5}, {})
    with pytest.raises(UserError, match="prefix of 2 recipe hashes"):
        compare(store, "aaaaaaa", "big")


def test_no_shared_split_is_refused(store):
    run_id = store.start(_record("elsewhere", "ccccccc3", 0, manifest="another-split"))
    store.finish(run_id, {"accuracy": 0.5}, {})
    with pytest.raises(UserError, match="no run of A shares a split manifest"):
        compare(store, "small", "elsewhere")


def test_predictions_of_other_items_are_refused(store, tmp_path):
    path = tmp_path / "big-0" / "predictions.npz"
    data = dict(np.load(path))
    data["keys"] = np.array([f"x/{i}" for i in range(30)])
    np.savez(path, **data)
    with pytest.raises(UserError, match="different test items"):
        compare(store, "small", "big", metrics=lambda task: {"accuracy": _accuracy})
