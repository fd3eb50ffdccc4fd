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


def test_runs_of_another_task_on_the_same_split_are_refused(store):
    """A transfer run's reference classifier is an expression run on the same split."""
    run_id = store.start({**_record("pix2pix", "ddddddd4", 0), "task": "transfer"})
    store.finish(run_id, {"ssim": 0.5}, {})
    with pytest.raises(UserError, match="A is task expression and B task transfer"):
        compare(store, "small", "pix2pix")


def test_predictions_of_other_items_are_refused(store, tmp_path):
    path = tmp_path / "big-0" / "predictions.npz"
    data = dict(np.load(path))
    data["keys"] = np.array([f"x/{i}" for i in range(30)])
    np.savez(path, **data)
    with pytest.raises(UserError, match="different test items"):
        compare(store, "small", "big", metrics=lambda task: {"accuracy": _accuracy})


# Transfer runs: per-triple values in predictions.npz, paired by (source, target) keys.
TRIPLES = 24
PER_ITEM = ("ssim", "psnr", "l1", "nme", "expression_consistency")


def _triples(seed):
    """(source i, target i) under seed 0; seed 1 keeps the first half and gives the other
    sources the next target."""
    return [(f"toy/s{i}", f"toy/t{(i + (1 if seed and i >= TRIPLES // 2 else 0)) % TRIPLES}")
            for i in range(TRIPLES)]


def _per_item(better, rng):
    gain = 1.0 if better else 0.0
    values = {"ssim": rng.uniform(0.4, 0.6, TRIPLES) + 0.05 * gain,
              "psnr": rng.uniform(18, 22, TRIPLES) + 1.5 * gain,
              "l1": rng.uniform(0.08, 0.12, TRIPLES) - 0.02 * gain,
              "nme": rng.uniform(0.05, 0.1, TRIPLES) - 0.03 * gain,
              "expression_consistency": (rng.uniform(size=TRIPLES) < 0.5 + 0.3 * gain) * 1.0}
    values["nme"][rng.choice(TRIPLES, 3, replace=False)] = np.nan  # failed detections
    return values


def _transfer_metrics(values):
    metrics = {name: float(np.nanmean(v)) for name, v in values.items()}
    return {**metrics, "fd": 3.0, "kid": 0.1, "fid": None}


@pytest.fixture
def transfer_store(tmp_path):
    """Recipes 'pix' (A) and 'better' (B, better on every metric) on one split, seeds 0 and
    1; B's predictions.npz holds the triples in reverse order. `store.pooled` keeps A's and
    B's per-item values and the triples in A's order."""
    store = RunStore(tmp_path / "transfer.sqlite")
    rng = np.random.default_rng(1)
    store.pooled = {"a": [], "b": [], "triples": []}
    for seed in (0, 1):
        triples = _triples(seed)
        for model, better in (("pix", False), ("better", True)):
            folder = tmp_path / f"{model}-{seed}"
            folder.mkdir()
            values = _per_item(better, rng)
            order = slice(None, None, -1) if better else slice(None)
            np.savez(folder / "predictions.npz",
                     source_keys=np.array([s for s, _ in triples])[order],
                     target_keys=np.array([t for _, t in triples])[order],
                     **{f"{name}_per_item": v[order] for name, v in values.items()})
            record = {**_record(model, f"{model}-recipe", 0, manifest="split-0"),
                      "task": "transfer", "seed": seed, "artifacts": str(folder)}
            store.finish(store.start(record), _transfer_metrics(values), {})
            store.pooled["b" if better else "a"].append(values)
        store.pooled["triples"] += triples
    return store


def _mean(values, _targets):
    return float(np.nanmean(values))


def test_transfer_runs_get_a_paired_bootstrap_over_triples(transfer_store):
    result = compare(transfer_store, "pix", "better", n_resamples=300, seed=2)
    rows = {row["metric"]: row for row in result["metrics"]}
    assert set(rows) == {*PER_ITEM, "fd", "kid"} and result["pairs"] == 2
    triples = transfer_store.pooled["triples"]
    codes = {triple: i for i, triple in enumerate(sorted(set(triples)))}
    groups = [codes[triple] for triple in triples]
    assert len(set(groups)) == TRIPLES + TRIPLES // 2  # seed 1 repeats half of seed 0's
    for name in PER_ITEM:
        a, b = (np.concatenate([v[name] for v in transfer_store.pooled[side]])
                for side in "ab")
        expected = paired_bootstrap(a, b, None, _mean, 300, 2, groups=groups)
        boot = rows[name]["bootstrap"]
        assert boot["difference"] == pytest.approx(np.nanmean(b) - np.nanmean(a))
        assert (boot["low"], boot["high"]) == pytest.approx((expected.low, expected.high))
        assert boot["pvalue"] == pytest.approx(expected.pvalue) and boot["n"] == len(codes)
    better = {name: rows[name]["bootstrap"]["low"] > 0 for name in ("ssim", "psnr")}
    lower = {name: rows[name]["bootstrap"]["high"] < 0 for name in ("l1", "nme")}
    assert all(better.values()) and all(lower.values())
    assert rows["fd"]["bootstrap"] is None and rows["kid"]["bootstrap"] is None
    assert "no per-item values of fd, kid in any run's predictions.npz" in result["notes"][0]
    mirrored = compare(transfer_store, "better", "pix", n_resamples=300, seed=2)
    ssim = next(row for row in mirrored["metrics"] if row["metric"] == "ssim")["bootstrap"]
    assert (ssim["low"], ssim["high"]) == pytest.approx(
        (-rows["ssim"]["bootstrap"]["high"], -rows["ssim"]["bootstrap"]["low"]))
    text = comparison_table(result)
    assert f"{rows['ssim']['bootstrap']['difference']:+.4g} [" in text
    json.dumps(result)


def test_old_transfer_predictions_bootstrap_l1_only(transfer_store, tmp_path):
    path = tmp_path / "pix-1" / "predictions.npz"
    with np.load(path) as data:
        np.savez(path, **{k: data[k] for k in ("source_keys", "target_keys", "l1_per_item")})
    old = next(r["id"] for r in transfer_store.list() if r["model"] == "pix" and r["seed"] == 1)
    result = compare(transfer_store, "pix", "better", n_resamples=50)
    booted = [row["metric"] for row in result["metrics"] if row["bootstrap"] is not None]
    assert booted == ["l1"]
    assert (f"no per-item values of ssim, psnr, nme, expression_consistency in the "
            f"predictions.npz of run(s) {old}: no paired bootstrap for them") in result["notes"]


@pytest.mark.parametrize("field,error", [
    ("target_keys", "different \\(source, target\\) transfer triples"),
    ("ssim_per_item", "ssim_per_item holds 23 values for 24 triples"),
    ("source_keys", "lacks \\['source_keys'\\]"),
])
def test_mismatched_transfer_predictions_are_refused(transfer_store, tmp_path, field, error):
    path = tmp_path / "better-0" / "predictions.npz"
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    if field == "target_keys":
        arrays[field][0] = "toy/elsewhere"
    elif field == "ssim_per_item":
        arrays[field] = arrays[field][1:]
    else:
        del arrays[field]
    np.savez(path, **arrays)
    with pytest.raises(UserError, match=error):
        compare(transfer_store, "pix", "better", n_resamples=10)


def test_cli_compare_of_transfer_runs(transfer_store, cli):
    code, out, _ = cli("compare", "pix", "better", "--db", str(transfer_store.path),
                       "--resamples", "50", "--json")
    assert code == 0
    rows = {row["metric"]: row["bootstrap"] for row in json.loads(out)["metrics"]}
    assert rows["psnr"]["difference"] > 0 and rows["fd"] is None
