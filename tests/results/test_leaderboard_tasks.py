"""Leaderboard tables shaped by their task (AU, transfer, derived AUs), integrity (mixed data
fingerprints, contaminated timings), baseline comparisons and bench records."""

import shutil
import statistics

import pytest
from scipy import stats

from ferbench.results.leaderboard import write_leaderboard
from ferbench.results.views import TaskShape
from ferbench.specs import Reported
from ferbench.tasks.base import Column

from .test_leaderboard import _tables

AU = TaskShape("au", columns=(Column("mean_f1", "mean F1 %", percent=True),
                              Column("mean_auc", "mean AUC %", percent=True),
                              Column("aus_averaged", "AUs in AUC mean", ranked=False)),
               detail_tables=(("per_au_f1", "per-AU F1 %"),),
               plot_artifacts=("au_f1.png",))
TRANSFER = TaskShape("transfer", columns=(
    Column("nme", "NME", higher_is_better=False),
    Column("fd", "FD[{feature_extractor}]", higher_is_better=False),
    Column("fid", "FID", higher_is_better=False),
    Column("ssim", "SSIM")))
TASKS = {"au": AU, "transfer": TRANSFER}
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


def _run(run_id, model, metrics, *, task="au", dataset="disfa", protocol="kfold", fold=0,
         seed=0, recipe=None, bookkeeping=None, timing=None, config=None, manifest=None):
    return {
        "id": run_id, "status": "finished", "started": 1000.0 + run_id, "task": task,
        "dataset": dataset, "protocol": protocol, "fold": fold, "seed": seed, "model": model,
        "recipe_hash": recipe or f"{model}-recipe", "manifest": manifest or f"split-{fold}",
        "config": {"model": model, "data_fingerprint": "data-1", **(config or {})},
        "metrics": metrics, "bookkeeping": {"epochs": 3, **(bookkeeping or {})},
        "timing": {"device_name": "Xeon", "precision": "fp32", "threads": 2,
                   "latency_ms_p50": 5.0, "latency_ms_p90": 6.0, "latency_ms_p99": 7.0,
                   "throughput_ips": 100.0, "throughput_batch": 64, "params": 1000,
                   "gflops": 0.5, **(timing or {})},
        "environment": {"torch": "2.5.1"},
    }


def _au(mean_f1, mean_auc, per_au):
    return {"mean_f1": mean_f1, "mean_auc": mean_auc, "aus_averaged": 2, "per_au_f1": per_au}


def test_au_table_ranks_by_mean_f1_with_per_au_detail_and_plots(tmp_path):
    folder = tmp_path / "artifacts" / "run2"
    folder.mkdir(parents=True)
    (folder / "au_f1.png").write_bytes(PNG)
    rows = [_run(1, "a", _au(0.40, 0.90, {"AU1": 0.5, "AU2": 0.3, "AU4": None})),
            _run(2, "b", _au(0.60, 0.70, {"AU1": 0.7, "AU2": 0.5, "AU4": None})),
            _run(3, "b", _au(0.50, 0.80, {"AU1": 0.6, "AU2": 0.4, "AU4": None}), fold=1)]
    rows[2]["artifacts"] = str(folder)
    reported = {"b": [Reported("disfa", "mean_f1", 0.55, "paper.txt")]}
    text = write_leaderboard(rows, reported, tmp_path / "lb", tasks=TASKS).read_text()
    tables = _tables(text)
    main = tables["au · disfa · kfold"]
    assert [row["model"] for row in main] == ["b", "a"]  # by mean F1, not by mean AUC
    assert main[0]["mean F1 %"] == "55.00 ± 7.07" and main[0]["AUs in AUC mean"] == "2 ± 0"
    assert main[0]["95 % CI (mean F1 %)"] != "—" and main[1]["95 % CI (mean F1 %)"] == "—"
    assert main[0]["reported"] == "mean F1 %: 55.00 (paper.txt)"
    assert main[0]["plots"] == "[au_f1.png](plots/art-au-disfa-kfold-b-b-recipe-au_f1.png)"
    assert (tmp_path / "lb" / "plots" / "art-au-disfa-kfold-b-b-recipe-au_f1.png").read_bytes() \
        == PNG
    assert main[1]["plots"] == "—"  # its artifacts folder is not here
    # regenerated where the run's folder is gone (a fresh clone): the published copy stays
    shutil.rmtree(folder)
    again = _tables(write_leaderboard(rows, reported, tmp_path / "lb", tasks=TASKS)
                    .read_text())["au · disfa · kfold"]
    assert again[0]["plots"] == main[0]["plots"]
    assert (tmp_path / "lb" / "plots" / "art-au-disfa-kfold-b-b-recipe-au_f1.png").read_bytes() \
        == PNG
    detail = tables["per-AU F1 %"]
    assert detail[0] == {"model": "b", "AU1": "65.00", "AU2": "45.00", "AU4": "–",
                         "averaged per run": "2 of 3"}
    assert "accuracy" not in text and "confusion" not in text


def test_transfer_table_ranks_lower_nme_first_and_names_fd_features(tmp_path):
    book = {"feature_extractor": "resnet18@run 12"}
    rows = [_run(1, "pix2pix", {"nme": 0.08, "fd": 20.0, "fid": None, "ssim": 0.7},
                 task="transfer", bookkeeping=book),
            _run(2, "identity", {"nme": 0.05, "fd": 30.0, "fid": None, "ssim": 0.6},
                 task="transfer", bookkeeping=book)]
    text = write_leaderboard(rows, {}, tmp_path, tasks=TASKS).read_text()
    table = _tables(text)["transfer · disfa · kfold"]
    assert [row["model"] for row in table] == ["identity", "pix2pix"]
    assert "FD[resnet18@run 12]" in table[0] and table[0]["FD[resnet18@run 12]"] == "30 ± 0"
    assert table[0]["FID"] == "—"
    assert "95 % CI (NME)" in table[0]


def test_fd_of_different_feature_extractors_are_labelled_per_row(tmp_path):
    rows = [_run(1, "a", {"nme": 0.1, "fd": 1.0}, task="transfer",
                 bookkeeping={"feature_extractor": "resnet18@run 12"}),
            _run(2, "b", {"nme": 0.2, "fd": 2.0}, task="transfer",
                 bookkeeping={"feature_extractor": "vgg13@run 3"})]
    table = _tables(write_leaderboard(rows, {}, tmp_path, tasks=TASKS).read_text())[
        "transfer · disfa · kfold"]
    header = "FD[resnet18@run 12; vgg13@run 3]"
    assert table[0][header] == "1 ± 0 [resnet18@run 12]"
    assert table[1][header] == "2 ± 0 [vgg13@run 3]"


def test_derived_au_runs_get_their_own_table(tmp_path):
    coded = _run(1, "a", _au(0.5, 0.8, {"AU1": 0.5}))
    derived = _run(2, "a", _au(0.9, 0.9, {"AU1": 0.9}), recipe="a-derived",
                   config={"data_options": {"aus_from_emotion": True}})
    tables = _tables(write_leaderboard([coded, derived], {}, tmp_path, tasks=TASKS).read_text())
    assert [row["mean F1 %"] for row in tables["au · disfa · kfold"]] == ["50.00 ± 0.00"]
    assert [row["mean F1 %"] for row in tables["au · disfa · kfold (derived AUs)"]] == \
        ["90.00 ± 0.00"]


def test_recipe_with_mixed_data_fingerprints_is_refused_visibly(tmp_path):
    rows = [_run(1, "a", _au(0.5, 0.8, {})), _run(2, "a", _au(0.6, 0.8, {}), fold=1),
            _run(3, "b", _au(0.4, 0.8, {}))]
    rows[1]["config"]["data_fingerprint"] = "data-2"
    text = write_leaderboard(rows, {}, tmp_path, tasks=TASKS).read_text()
    assert [row["model"] for row in _tables(text)["au · disfa · kfold"]] == ["b"]
    warning = next(line for line in text.splitlines() if line.startswith("> ⚠ skipped a "))
    assert "data-1, data-2" in warning and "a-recipe" in warning


def test_contaminated_timings_are_left_out_of_efficiency(tmp_path):
    dirty = {"contaminated": True, "contaminated_reason": "load 3.1 on 2 cores",
             "latency_ms_p50": 500.0, "throughput_ips": 1.0}
    rows = [_run(1, "a", _au(0.5, 0.8, {})), _run(2, "a", _au(0.5, 0.8, {}), fold=1,
                                                    timing=dirty),
            _run(3, "b", _au(0.4, 0.8, {}), timing=dirty)]
    text = write_leaderboard(rows, {}, tmp_path, tasks=TASKS).read_text()
    a, b = _tables(text)["au · disfa · kfold"]
    assert a["latency ms (b=1, p50 / p90 / p99)"] == "5.00 / 6.00 / 7.00 †"
    assert a["throughput img/s (batch)"] == "100 (b=64) †"
    assert b["latency ms (b=1, p50 / p90 / p99)"] == "— †"
    assert b["throughput img/s (batch)"] == "— †" and b["params"] == "1.0 k"
    assert "† 2 runs timed under machine load (load average above the free cores) left out" in text
    assert "Timings: Xeon (fp32, 2 threads)." in text


def _paired(model, values, manifests=None, recipe=None):
    return [_run(10 * hash(model) % 1000 + i, model, _au(v, 0.8, {}), fold=i, recipe=recipe,
                 manifest=(manifests or {}).get(i)) for i, v in enumerate(values)]


def test_baseline_column_is_a_paired_comparison_on_identical_splits(tmp_path):
    base = [0.50, 0.52, 0.48, 0.55, 0.51, 0.49, 0.53]
    better = [0.56, 0.55, 0.55, 0.58, 0.60, 0.52, 0.57]
    rows = _paired("base", base) + _paired("better", better) + \
        _paired("elsewhere", better, {0: "other-split"}) + _paired("short", better[:3])
    text = write_leaderboard(rows, {}, tmp_path, tasks=TASKS, baselines=["base"]).read_text()
    table = {row["model"]: row for row in _tables(text)["au · disfa · kfold"]}
    column = "Δ vs base (mean F1 %, 95 % CI, Wilcoxon p)"
    assert table["base"][column] == "baseline"
    diffs = [100 * (b - a) for a, b in zip(base, better, strict=True)]
    p = stats.wilcoxon(better, base).pvalue
    cell = table["better"][column]
    assert cell.startswith(f"{statistics.mean(diffs):+.2f} [") and cell.endswith(f"p={p:.2g}")
    assert table["elsewhere"][column] == "— (splits differ)"
    assert table["short"][column] == "— (splits differ)"


def test_declared_pairs_compare_each_row_with_its_partner(tmp_path):
    """`ModelSpec.paired_with`: every row of a paired model gets Δ against its partner's row
    on the same splits, the one of several whose recipe differs in fewest options."""
    plain = [0.50, 0.52, 0.48, 0.55, 0.51, 0.49, 0.53]
    augmented = [0.56, 0.55, 0.55, 0.58, 0.60, 0.52, 0.57]

    def rows(model, values, epochs, recipe):
        return [_run(100 * epochs + 10 * len(model) + i, model, _au(v, 0.8, {}), fold=i,
                     recipe=recipe, config={"hparams": {"epochs": epochs}})
                for i, v in enumerate(values)]
    runs = rows("plain", plain, 5, "p5") + rows("plain", [v - 0.1 for v in plain], 9, "p9") \
        + rows("plain+gan", augmented, 5, "a5") + rows("lonely", augmented, 5, "l5")
    text = write_leaderboard(runs, {}, tmp_path, tasks=TASKS,
                             pairs={"plain+gan": "plain", "lonely": "absent"}).read_text()
    table = {row["model"]: row for row in _tables(text)["au · disfa · kfold"]}
    cell = table["plain+gan"]["Δ vs paired row (mean F1 %, 95 % CI, Wilcoxon p)"]
    diffs = [100 * (b - a) for a, b in zip(plain, augmented, strict=True)]
    p = stats.wilcoxon(augmented, plain).pvalue
    assert cell.startswith(f"{statistics.mean(diffs):+.2f} [")
    assert cell.endswith(f"p={p:.2g} vs plain (epochs=5)")
    assert table["lonely"]["Δ vs paired row (mean F1 %, 95 % CI, Wilcoxon p)"] == "—"
    assert "Δ vs paired" not in write_leaderboard(runs, {}, tmp_path, tasks=TASKS).read_text()


def test_few_pairs_are_flagged_as_powerless(tmp_path):
    rows = _paired("base", [0.5, 0.6, 0.7]) + _paired("other", [0.6, 0.65, 0.9])
    text = write_leaderboard(rows, {}, tmp_path, tasks=TASKS, baselines=["base"]).read_text()
    other = next(r for r in _tables(text)["au · disfa · kfold"] if r["model"] == "other")
    assert other["Δ vs base (mean F1 %, 95 % CI, Wilcoxon p)"].endswith("p=0.25‡")
    assert "‡ fewer than 6 paired splits: the Wilcoxon test has no power" in text


def test_ambiguous_baseline_is_reported_not_guessed(tmp_path):
    rows = [_run(1, "a", _au(0.5, 0.8, {}), recipe="r1", config={"hparams": {"lr": 1}}),
            _run(2, "a", _au(0.6, 0.8, {}), recipe="r2", config={"hparams": {"lr": 2}})]
    text = write_leaderboard(rows, {}, tmp_path, tasks=TASKS, baselines=["a"]).read_text()
    assert "> ⚠ baseline a names 2 rows here (a (lr=2); a (lr=1))" in text
    assert "| Δ vs" not in text
    labelled = write_leaderboard(rows, {}, tmp_path, tasks=TASKS,
                                 baselines=["a (lr=1)"]).read_text()
    assert "Δ vs a (lr=1)" in labelled


def test_bench_records_feed_the_efficiency_columns(tmp_path):
    rows = [_run(1, "a", _au(0.5, 0.8, {}), config={"model_options": {"width": 8}}),
            _run(2, "b", _au(0.4, 0.8, {}))]
    bench = [{"id": 7, "created": 5.0, "model": "a", "model_options": {"width": 8},
              "input": "1x48x48", "threads": 1, "hardware": "Xeon", "precision": "fp32",
              "latency_ms_p50": 1.0, "latency_ms_p90": 1.5, "latency_ms_p99": 2.0,
              "throughput_ips": 900.0, "throughput_batch": 64, "params": 2_000_000,
              "gflops": 0.25},
             {"id": 8, "created": 6.0, "model": "a", "model_options": {"width": 16},
              "input": "1x48x48", "threads": 1, "hardware": "Xeon", "latency_ms_p50": 9.0}]
    text = write_leaderboard(rows, {}, tmp_path, tasks=TASKS, bench=bench).read_text()
    a, b = _tables(text)["au · disfa · kfold"]
    assert a["latency ms (b=1, p50 / p90 / p99)"] == "1.00 / 1.50 / 2.00"
    assert a["params"] == "2.0 M" and a["throughput img/s (batch)"] == "900 (b=64)"
    assert a["timed on"] == "Xeon (fp32, 1 thread), bench 7, input 1x48x48"
    assert b["latency ms (b=1, p50 / p90 / p99)"] == "5.00 / 6.00 / 7.00"  # its runs
    assert "Timings: Xeon (fp32, 1 thread), bench 7, input 1x48x48; Xeon (fp32, 2 threads)." \
        in text


@pytest.mark.parametrize("baselines", [(), ("nobody",)])
def test_no_baseline_no_delta_column(tmp_path, baselines):
    text = write_leaderboard(_paired("a", [0.5, 0.6]), {}, tmp_path, tasks=TASKS,
                             baselines=baselines).read_text()
    assert "| Δ vs" not in text and "⚠" not in text


def test_image_grids_are_published_only_for_freely_licensed_data(tmp_path):
    shape = TaskShape("transfer", columns=(Column("ssim", "SSIM"),),
                      plot_artifacts=("grid.png",), image_artifacts=("grid.png",))
    rows = []
    for i, dataset in enumerate(("synthfer", "ckplus")):
        folder = tmp_path / f"run{i}"
        folder.mkdir()
        (folder / "grid.png").write_bytes(PNG)
        row = _run(i + 1, "pix2pix", {"ssim": 0.7}, task="transfer", dataset=dataset)
        rows.append({**row, "artifacts": str(folder)})
    out = tmp_path / "lb"
    text = write_leaderboard(rows, {}, out, tasks={"transfer": shape},
                             free_datasets=["synthfer"]).read_text()
    copied = sorted(p.name for p in (out / "plots").glob("*grid*"))
    assert len(copied) == 1 and "synthfer" in copied[0]
    assert "grid.png: not published (licence-gated faces)" in text


def test_reported_au_numbers_go_to_tables_of_their_kind_of_labels(tmp_path):
    rows = [_run(1, "m", _au(0.5, 0.8, {})),
            _run(2, "m", _au(0.6, 0.9, {}), bookkeeping={"derived_aus": True})]
    reported = {"m": [Reported("disfa", "mean_f1", 0.55, "facs.txt"),
                      Reported("disfa", "mean_f1", 0.65, "derived.txt", derived_aus=True)]}
    tables = _tables(write_leaderboard(rows, reported, tmp_path, tasks=TASKS).read_text())
    facs, derived = tables["au · disfa · kfold"], tables["au · disfa · kfold (derived AUs)"]
    assert facs[0]["reported"] == ("mean F1 %: 55.00 (facs.txt); mean F1 %: 65.00 "
                                   "(derived.txt; on AU labels derived from expressions)")
    assert derived[0]["reported"] == ("mean F1 %: 55.00 (facs.txt; on FACS-coded AU labels); "
                                      "mean F1 %: 65.00 (derived.txt)")


def test_a_label_names_the_hyper_parameters_a_run_set_apart_from_the_defaults(tmp_path):
    config = {"hparams": {"lr": 0.01, "epochs": 12, "batch_size": 32,
                          "augment": {"hflip": True, "shift": 0.1}}}
    rows = [_run(1, "a", _au(0.5, 0.8, {}), config=config)]
    defaults = {"a": {"lr": 1e-4, "epochs": 200, "batch_size": 32,
                      "augment": {"hflip": True, "shift": 0.0}}}
    text = write_leaderboard(rows, {}, tmp_path, tasks=TASKS, defaults=defaults).read_text()
    assert _tables(text)["au · disfa · kfold"][0]["model"] == "a (augment.shift=0.1, lr=0.01)"
    plain = write_leaderboard(rows, {}, tmp_path, tasks=TASKS).read_text()
    assert _tables(plain)["au · disfa · kfold"][0]["model"] == "a"


def test_shown_options_are_named_in_every_label_given_or_not(tmp_path):
    rows = [_run(1, "m", _au(0.5, 0.8, {}), recipe="r1"),
            _run(2, "m", _au(0.6, 0.8, {}), recipe="r2",
                 config={"model_options": {"layout": "parallel"}})]
    text = write_leaderboard(rows, {}, tmp_path, tasks=TASKS,
                             shown={"m": {"layout": "serial"}}).read_text()
    labels = {row["model"] for row in _tables(text)["au · disfa · kfold"]}
    assert labels == {"m (layout=serial)", "m (layout=parallel)"}
