"""Leaderboard: aggregation over folds and seeds, task-shaped sections, integrity (superseded,
fingerprints, failed and interrupted runs, contaminated timings), statistics, reported numbers,
PNGs, no torch."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest
from scipy import stats

from ferbench.results import leaderboard
from ferbench.results.leaderboard import write_leaderboard
from ferbench.specs import Reported

CLASSES = ["happy", "sad"]


def _run(run_id, model="resnet18", recipe="r1", fold=None, seed=0, accuracy=0.8,
         dataset="ckplus", protocol="kfold", task="expression", lr=0.001, matrix=None, **metrics):
    return {
        "id": run_id, "status": "finished", "started": 1000.0 + run_id,
        "ended": 1060.0 + run_id, "task": task, "dataset": dataset, "protocol": protocol,
        "fold": fold, "model": model, "recipe_hash": recipe, "seed": seed,
        "config": {"model": model, "dataset": dataset, "protocol": protocol, "epochs": 5,
                   "batch_size": 32, "lr": lr, "seed": seed, "fold": fold},
        "metrics": {"accuracy": accuracy, "macro_f1": accuracy - 0.1, "macro_auc": None,
                    "confusion_matrix": matrix or [[4, 1], [0, 5]], "class_names": CLASSES,
                    **metrics},
        "timing": {"device": "cpu", "device_name": "AMD EPYC 7B13", "precision": "fp32",
                   "threads": 1, "latency_ms_median": 2.0 + run_id, "latency_ms_p90": 3.0,
                   "throughput_ips": 1500.0, "throughput_batch": 64, "params": 11_180_000,
                   "gflops": 1.82, "peak_memory_mb": None, "train_seconds": 30.0},
        "environment": {"ferbench": "0.1.0", "python": "3.11.7", "torch": "2.5.1",
                        "cuda": None, "device_name": "AMD EPYC 7B13", "cpu": "AMD EPYC 7B13",
                        "git_commit": "1a2b3c4d", "plugins": {}},
    }


def _tables(text):
    """{section header: [row dict]} of every markdown table (### detail tables too)."""
    tables, header, columns = {}, None, None
    for line in text.splitlines():
        if line.startswith("##"):
            header, columns = line.lstrip("#").strip(), None
            tables[header] = []
        elif line.startswith("|") and header:
            cells = [c.strip() for c in line.strip("|").split(" | ")]
            if columns is None:
                columns = cells
            elif not set(line) <= set("|-: "):
                tables[header].append(dict(zip(columns, cells, strict=True)))
    return tables


@pytest.fixture
def rows():
    return [
        # resnet18, recipe r1: 3 folds x seed 0 (fold 2 recorded twice; the latest counts)
        _run(1, fold=0, accuracy=0.8, matrix=[[4, 1], [0, 5]]),
        _run(2, fold=1, accuracy=0.9, matrix=[[5, 0], [1, 4]]),
        _run(3, fold=2, accuracy=0.1, matrix=[[0, 5], [5, 0]]),
        _run(4, fold=2, accuracy=1.0, matrix=[[5, 0], [0, 5]]),
        # resnet18, recipe r2 (another lr): one run
        _run(5, recipe="r2", lr=0.01, fold=0, accuracy=0.95),
        # vgg: 2 seeds on holdout (another section), and one run on another dataset
        _run(6, model="vgg13", recipe="v1", protocol="holdout", seed=0, accuracy=0.7),
        _run(7, model="vgg13", recipe="v1", protocol="holdout", seed=1, accuracy=0.6),
        _run(8, model="vgg13", recipe="v1", dataset="fer2013", protocol="official", accuracy=0.5),
    ]


REPORTED = {"resnet18": [Reported("ckplus", "accuracy", 0.9932, "003_bf1ed9147c4217b7.txt",
                                  protocol="kfold"),
                         Reported("ckplus", "macro_f1", 0.9, "003_bf1ed9147c4217b7.txt"),
                         Reported("fer2013", "accuracy", 0.73, "other.txt")],
            "vgg13": [Reported("ckplus", "accuracy", 0.95, "vgg.txt", protocol="loso")]}


def test_aggregates_folds_and_seeds(tmp_path, rows):
    readme = write_leaderboard(rows, REPORTED, tmp_path / "lb")
    assert readme == tmp_path / "lb" / "README.md"
    text = readme.read_text()
    tables = _tables(text)
    assert list(tables) == ["expression · ckplus · holdout", "expression · ckplus · kfold",
                            "expression · fer2013 · official", "Reported, not reproduced here"]
    # resnet18 has no fer2013 run: its reported number is listed, not set beside vgg13's
    assert tables["Reported, not reproduced here"] == [
        {"dataset": "fer2013", "model": "resnet18", "metric": "accuracy %", "reported": "73.00",
         "source": "other.txt"}]

    kfold = tables["expression · ckplus · kfold"]
    assert [row["model"] for row in kfold] == ["resnet18 (lr=0.01)", "resnet18 (lr=0.001)"]
    r2, r1 = kfold
    assert r1["accuracy %"] == "90.00 ± 10.00"  # folds 0.8, 0.9, 1.0 (the older 0.1 dropped)
    assert r1["macro-F1 %"] == "80.00 ± 10.00"
    assert r1["macro AUC %"] == "—"
    assert r1["n"] == "3 (3 folds)"
    assert r1["epochs"] == "5"
    # median of runs 1, 2, 4: 3, 4, 6 (schema-1 records have no p99)
    assert r1["latency ms (b=1, p50 / p90 / p99)"] == "4.00 / 3.00 / —"
    assert r1["params"] == "11.2 M" and r1["GFLOPs"] == "1.82"
    assert r1["throughput img/s (batch)"] == "1500 (b=64)"
    assert r1["timed on"] == "AMD EPYC 7B13 (fp32, 1 thread)"
    assert r1["reported"] == ("accuracy %: 99.32 (003_bf1ed9147c4217b7.txt); "
                              "macro-F1 %: 90.00 (003_bf1ed9147c4217b7.txt)")
    assert r2["accuracy %"] == "95.00 ± 0.00" and r2["n"] == "1 (1 fold)"
    assert r2["95 % CI (accuracy %)"] == "—"  # n = 1

    holdout = tables["expression · ckplus · holdout"]
    assert holdout[0]["accuracy %"] == "65.00 ± 7.07"
    assert holdout[0]["n"] == "2 (2 seeds)"
    assert holdout[0]["reported"] == "accuracy %: 95.00 (vgg.txt; loso)"
    assert tables["expression · fer2013 · official"][0]["reported"] == "—"
    assert text.count("Timings: AMD EPYC 7B13 (fp32, 1 thread).") == 3

    assert text.index("Generated by `ferbench leaderboard`") < text.index("## ")
    assert "do not edit" in text.lower()
    assert text.count("torch 2.5.1 · CUDA none · device AMD EPYC 7B13") == 3
    assert "git 1a2b3c4d" in text and text.count("Aggregation: ") == 3
    assert "1 superseded run not counted" in text  # fold 2's older run
    assert text.count("0 superseded runs not counted") == 2


def test_ci_column_is_scipys_percentile_bootstrap_of_the_mean(tmp_path, rows):
    kfold = _tables(write_leaderboard(rows, {}, tmp_path).read_text())[
        "expression · ckplus · kfold"]
    r1 = next(row for row in kfold if row["model"] == "resnet18 (lr=0.001)")
    expected = stats.bootstrap((np.array([0.8, 0.9, 1.0]),), np.mean, n_resamples=10000,
                               method="percentile", random_state=np.random.default_rng(0))
    low, high = expected.confidence_interval
    assert r1["95 % CI (accuracy %)"] == f"[{100 * low:.2f}, {100 * high:.2f}]"
    assert low < 0.9 < high


def test_failed_interrupted_and_running_runs_never_enter_a_table(tmp_path, rows):
    others = [dict(_run(20 + i, model=f"m{status}", recipe=status, fold=0), status=status)
              for i, status in enumerate(["failed", "interrupted", "running"])]
    text = write_leaderboard(rows + others, {}, tmp_path).read_text()
    for status in ("failed", "interrupted", "running"):
        assert f"m{status}" not in text


def test_confusion_png_sums_the_aggregated_runs(tmp_path, rows, monkeypatch):
    drawn = {}
    real = leaderboard.save_confusion_matrix

    def record(matrix, class_names, path, title=""):
        drawn[title] = matrix
        return real(matrix, class_names, path, title=title)

    monkeypatch.setattr(leaderboard, "save_confusion_matrix", record)
    text = write_leaderboard(rows, {}, tmp_path).read_text()
    title = "resnet18 (lr=0.001) · ckplus · kfold (n=3)"
    assert drawn[title] == [[14, 1], [1, 14]]
    links = [row["plots"] for table in _tables(text).values() for row in table]
    assert len(links) == 4
    for link in links:
        target = tmp_path / link[len("[confusion]("):-1]
        assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_rewrite_removes_stale_plots_and_empty_store_says_so(tmp_path, rows):
    write_leaderboard(rows, {}, tmp_path)
    assert len(list((tmp_path / "plots").glob("cm-*.png"))) == 4
    readme = write_leaderboard([], {}, tmp_path)
    text = readme.read_text()
    assert "No finished runs yet" in text and "## " not in text
    assert list((tmp_path / "plots").glob("cm-*.png")) == []


def test_unknown_task_falls_back_to_expression_columns(tmp_path):
    run = _run(1, task="valence", dataset="affectnet", protocol="official", fold=0)
    row = _tables(write_leaderboard([run], {}, tmp_path).read_text())[
        "valence · affectnet · official"][0]
    assert row["accuracy %"] == "80.00 ± 0.00" and row["macro-F1 %"] == "70.00 ± 0.00"


def test_results_layer_never_imports_torch(tmp_path):
    script = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from ferbench.results.store import RunStore
        from ferbench.results.leaderboard import write_leaderboard
        from ferbench.results.views import run_detail, runs_table
        from ferbench.results import compare, plots, stats

        store = RunStore(Path({str(tmp_path)!r}) / "runs.sqlite")
        run_id = store.start({{"task": "expression", "dataset": "ckplus", "protocol": "kfold",
                              "model": "m", "recipe_hash": "r", "seed": 0, "fold": 0}})
        store.finish(run_id, {{"accuracy": 0.5, "confusion_matrix": [[1, 1], [0, 2]]}},
                     {{"device_name": "cpu"}}, {{"class_names": ["a", "b"]}})
        write_leaderboard(store.list(), {{}}, Path({str(tmp_path)!r}) / "lb")
        runs_table(store.list())
        run_detail(store.get(run_id))
        plots.save_roc_curves({{"a": ([0, 1], [0, 1], 0.5)}}, Path({str(tmp_path)!r}) / "r.png")
        print(sorted(m for m in ("torch", "timm", "torchmetrics") if m in sys.modules))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
    assert (tmp_path / "lb" / "README.md").exists()
    assert len(list((tmp_path / "lb" / "plots").glob("*.png"))) == 1


def test_labels_show_build_options_and_nested_differences(tmp_path):
    narrow = _run(1, model="msca", recipe="a")
    narrow["config"]["model_options"] = {"widths": [32, 64]}
    narrow["config"]["hparams"] = {"lr": 0.001, "epochs": 5}
    wide = _run(2, model="msca", recipe="b")
    wide["config"]["model_options"] = {"widths": [64, 128]}
    wide["config"]["hparams"] = {"lr": 0.001, "epochs": 10}
    text = write_leaderboard([narrow, wide], {}, tmp_path).read_text()
    assert "msca (epochs=5, widths=[32, 64])" in text
    assert "msca (epochs=10, widths=[64, 128])" in text


def test_recipe_without_build_options_is_labelled_defaults(tmp_path):
    narrow = _run(1, model="msca", recipe="a")
    narrow["config"]["model_options"] = {"widths": [32, 64]}
    full = _run(2, model="msca", recipe="b")
    full["config"]["model_options"] = {}
    text = write_leaderboard([narrow, full], {}, tmp_path).read_text()
    assert "msca (widths=[32, 64])" in text and "msca (defaults)" in text


def _with_curve(run, best, values):
    run["bookkeeping"] = {"epochs": len(values), "best_epoch": best, "curve": {
        "score": "val_accuracy", "epoch": list(range(1, len(values) + 1)), "value": values,
        "train_loss": [1.0 / e for e in range(1, len(values) + 1)]}}
    return run


def test_epochs_cell_gives_the_median_selected_epoch_and_links_the_val_curve(tmp_path):
    runs = [_with_curve(_run(1, fold=0), 2, [0.5, 0.7, 0.6]),
            _with_curve(_run(2, fold=1), 3, [0.4, 0.6, 0.8]),
            _with_curve(_run(3, fold=2), 3, [0.3, 0.5, 0.9])]
    text = write_leaderboard(runs, {}, tmp_path).read_text()
    row = _tables(text)["expression · ckplus · kfold"][0]
    # last-epoch rises -0.1, +0.2, +0.4: still rising on average, so marked
    assert row["epochs"] == "3 (best 3) §" and "§ not levelled off" in text
    curve = tmp_path / "plots" / "curve-expression-ckplus-kfold-resnet18-r1.png"
    assert curve.is_file() and f"[val curve](plots/{curve.name})" in row["plots"]


def test_a_levelled_curve_is_not_marked(tmp_path):
    flat = [0.2, 0.5, 0.7, 0.8, 0.85, 0.86, 0.87, 0.87, 0.88, 0.875]  # last fifth +0.0075
    runs = [_with_curve(_run(1, fold=0), 9, flat), _with_curve(_run(2, fold=1), 7, flat)]
    text = write_leaderboard(runs, {}, tmp_path).read_text()
    assert _tables(text)["expression · ckplus · kfold"][0]["epochs"] == "10 (best 8)"
    assert "§" not in text
    assert leaderboard._late_rise({"value": flat}) == pytest.approx(0.0075)


def test_a_row_selecting_its_last_epochs_is_marked_without_curves(tmp_path):
    runs = [_run(1, fold=0), _run(2, fold=1)]
    for run, best in zip(runs, (5, 4), strict=True):
        run["bookkeeping"] = {"epochs": 5, "best_epoch": best}  # median 4.5 > 0.8 x 5
    row = _tables(write_leaderboard(runs, {}, tmp_path).read_text())[
        "expression · ckplus · kfold"][0]
    assert row["epochs"] == "5 (best 4.5) §"


def test_val_curve_of_older_runs_comes_from_their_artifacts_history(tmp_path):
    import json

    folder = tmp_path / "art"
    folder.mkdir()
    (folder / "metrics.json").write_text(json.dumps({"history": [
        {"epoch": 1, "train_loss": 1.2, "val_accuracy": 0.4},
        {"epoch": 2, "train_loss": 0.9, "val_accuracy": 0.6}]}))
    old = _run(1, fold=0)
    old["artifacts"] = str(folder)
    assert leaderboard._curve(old, "val_accuracy") == {
        "score": "val_accuracy", "epoch": [1, 2], "value": [0.4, 0.6], "loss": "train_loss",
        "train_loss": [1.2, 0.9]}
    no_record = _run(2, fold=1)
    assert leaderboard._curve(no_record, "val_accuracy") is None
    row = _tables(write_leaderboard([old, no_record], {}, tmp_path / "lb").read_text())[
        "expression · ckplus · kfold"][0]
    # no recorded best epoch: the curve's own argmax; 0.4 -> 0.6 is a rise, so marked
    assert row["epochs"] == "5 (best 2) §" and "[val curve (1 of 2 runs)]" in row["plots"]


def test_val_curve_keeps_the_classifier_loss_of_a_method_that_logs_its_own_losses():
    from ferbench.results.curves import validation_curve

    history = [{"epoch": 1, "loss_c": 1.9, "loss_d": 0.7, "val_accuracy": 0.3, "lr": 0.1},
               {"epoch": 2, "loss_c": 1.5, "loss_d": 0.6, "val_accuracy": 0.5, "lr": 0.05}]
    curve = validation_curve(history, "val_accuracy")
    assert curve["loss"] == "loss_c" and curve["train_loss"] == [1.9, 1.5]
    assert validation_curve([{"epoch": 1, "val_accuracy": 0.3}], "val_accuracy")[
        "train_loss"] == [None]


def test_reported_only_table_skips_reproduced_datasets_and_metrics_without_a_column(tmp_path):
    reported = {"resnet18": [Reported("ckplus", "accuracy", 0.99, "p.txt"),
                             Reported("jaffe", "accuracy", 0.966, "p.txt", protocol="loso"),
                             Reported("jaffe", "running_seconds", 54.2, "p.txt")]}
    text = write_leaderboard([_run(1, fold=0)], reported, tmp_path).read_text()
    assert _tables(text)["Reported, not reproduced here"] == [
        {"dataset": "jaffe", "model": "resnet18", "metric": "accuracy %", "reported": "96.60",
         "source": "p.txt; loso"}]
    only_ckplus = {"resnet18": reported["resnet18"][:1]}
    assert "Reported, not reproduced" not in write_leaderboard(
        [_run(1, fold=0)], only_ckplus, tmp_path / "b").read_text()


def test_reference_runs_that_judged_other_runs_are_marked_as_judges(tmp_path):
    judge = _run(1, model="tiny-cnn", recipe="t", fold=0, accuracy=0.4)
    contender = _run(2, model="tiny-cnn", recipe="t2", lr=0.1, fold=0, accuracy=0.5)
    augmented = _run(3, model="gan-aug", recipe="g", fold=0)
    augmented["bookkeeping"] = {"generation_features": "tiny-cnn@run 1"}
    transfer = _run(4, model="stargan", recipe="s", task="transfer", dataset="rafd")
    transfer["bookkeeping"] = {"feature_extractor": "tiny-cnn@run 9"}  # not in the store
    text = write_leaderboard([judge, contender, augmented, transfer], {}, tmp_path).read_text()
    labels = [row["model"] for row in _tables(text)["expression · ckplus · kfold"]]
    assert "tiny-cnn (lr=0.001) ⚖" in labels and "tiny-cnn (lr=0.1)" in labels
    assert not any(label.startswith("gan-aug") and "⚖" in label for label in labels)
    assert "⚖ a judge, not a contender" in text
    assert leaderboard._judge_ids([augmented, transfer]) == {1, 9}
