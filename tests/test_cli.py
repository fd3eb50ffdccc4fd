"""CLI behaviour: listing without torch, one-line errors with exit 2 for user mistakes."""

import subprocess
import sys

import pytest

from .conftest import PYTHON


def test_list_and_plugins_never_import_torch():
    code = ("import sys; from ferbench.cli import main; main(['list', 'models']); "
            "main(['plugins']); main(['list', 'datasets', 'ck*']); "
            "bad = [m for m in ('torch', 'timm', 'torchmetrics') if m in sys.modules]; "
            "assert not bad, bad")
    result = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "resnet18" in result.stdout and "ckplus" in result.stdout
    assert "builtin" in result.stdout  # the core registers itself as a plugin


def test_list_with_wildcard(cli):
    code, out, _ = cli("list", "models", "vgg*")
    assert code == 0
    names = [line.split()[0] for line in out.splitlines()[2:]]
    assert names == ["vgg11", "vgg13", "vgg16", "vgg19"]


@pytest.mark.parametrize("argv,expected", [
    (["run", "--model", "resnt18", "--dataset", "synthfer"],
     "unknown model 'resnt18'; did you mean resnet18"),
    (["run", "--model", "resnet18", "--dataset", "fer2031"],
     "unknown dataset 'fer2031'; did you mean fer2013"),
    (["run", "--model", "resnet18", "--dataset", "synthfer", "-o", "lrate=1"],
     "unknown option 'lrate'"),
    (["run", "--model", "resnet18", "--dataset", "synthfer", "-o", "epochs=-1"],
     "option epochs: expected a value >= 1"),
    (["run", "--model", "resnet18", "--dataset", "synthfer", "-o", "novalue"],
     "expected key=value"),
    (["run", "--model", "resnet18", "--dataset", "synthfer", "--folds", "some"],
     "--folds: expected 'all'"),
    (["run", "--config", "/nonexistent/run.yaml"], "--config /nonexistent/run.yaml"),
    (["run", "--model", "resnet18", "--dataset", "fer2013"], "needs --data-root"),
    (["run", "--model", "resnet18", "--dataset", "fer2013", "--data-root", "/no/such/dir"],
     "--data-root /no/such/dir: not found"),
    (["show", "999"], "run id 999: no such run"),
])
def test_user_mistakes_get_one_line_and_exit_2(cli, argv, expected):
    code, _, err = cli(*argv)
    assert code == 2
    assert expected in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_invalid_yaml_config(cli, tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text("model: resnet18\nepochs: [1, 2\n")
    code, _, err = cli("run", "--config", str(path))
    assert code == 2 and "invalid YAML" in err and str(path) in err


def test_yaml_config_runs(toy_registry, cli, tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text("model: tiny-cnn\ndataset: toy\nepochs: 1\nlr: 1e-2\n"
                    "augment:\n  hflip: true\nmodel_options:\n  width: 4\n")
    code, out, _ = cli("run", "--config", str(path), "--db", str(tmp_path / "r.db"), "--json")
    assert code == 0
    assert '"lr": 0.01' in out and '"width": 4' in out


def test_console_script_exit_code_without_traceback():
    result = subprocess.run([sys.executable, "-m", "ferbench.cli", "run", "--model", "nope",
                             "--dataset", "synthfer"], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 2
    assert result.stderr.startswith("ferbench: error: unknown model 'nope'")


def test_data_show_writes_a_grid(cli, tmp_path):
    out = tmp_path / "grid.png"
    code, stdout, _ = cli("data", "show", "synthfer", "--output", str(out),
                          "-o", "subjects=4", "-o", "per_class=2")
    assert code == 0 and stdout.strip() == str(out)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 10_000


def test_data_check_lists_counts(cli):
    code, out, _ = cli("data", "check", "synthfer", "-o", "subjects=4", "-o", "per_class=2")
    assert code == 0
    assert out.splitlines()[0] == "synthfer: 64 samples, 4 subjects, 1x48x48"
    assert "  happy      8" in out and "skipped: 0" in out


def test_data_check_bad_option_is_a_user_error(cli):
    code, _, err = cli("data", "check", "synthfer", "-o", "image_size=abc")
    assert code == 2 and "image_size" in err


def _finished_run(store, model="tiny", recipe="r1", fold=0, started=1000.0, **metrics):
    from ferbench.results.store import RunStore
    assert isinstance(store, RunStore)
    run_id = store.start({"task": "expression", "dataset": "toy", "protocol": "kfold",
                          "fold": fold, "seed": 0, "model": model, "recipe_hash": recipe,
                          "manifest": f"split-{fold}", "started": started,
                          "config": {"model": model}})
    store.finish(run_id, {"accuracy": 0.5, **metrics}, {}, {"class_names": ["a", "b"]})
    return run_id


def test_leaderboard_default_output_is_beside_the_database_not_leaderboard(
        cli, tmp_path, monkeypatch):
    from ferbench.cli import DEFAULT_DB, build_parser
    from ferbench.results.store import RunStore
    assert build_parser().parse_args(["leaderboard"]).output is None
    monkeypatch.delenv("FERBENCH_DB")
    monkeypatch.chdir(tmp_path)
    with RunStore(DEFAULT_DB) as store:
        _finished_run(store)
    code, out, err = cli("leaderboard")
    assert code == 0 and "## expression · toy · kfold" in out
    assert err.strip() == "written to runs/leaderboard/README.md"
    assert (tmp_path / "runs" / "leaderboard" / "README.md").is_file()
    assert not (tmp_path / "leaderboard").exists()


def test_leaderboard_output_and_baseline_flags(cli, tmp_path):
    from ferbench.results.store import RunStore
    db = tmp_path / "lb.sqlite"
    with RunStore(db) as store:
        for fold in range(2):
            _finished_run(store, "tiny", "r1", fold, accuracy=0.5 + fold / 10)
            _finished_run(store, "big", "r2", fold, accuracy=0.7 + fold / 10)
    code, out, _ = cli("leaderboard", "--db", str(db), "--output", str(tmp_path / "out"),
                       "--baseline", "tiny")
    assert code == 0 and (tmp_path / "out" / "README.md").read_text() in out + "\n"
    big = next(line for line in out.splitlines() if line.startswith("| big"))
    assert "+20.00 [+20.00, +20.00], p=0.5‡" in big


def test_runs_hides_superseded_shows_interrupted_and_prunes(cli, tmp_path):
    import subprocess

    from ferbench.results.store import RunStore
    db = str(tmp_path / "r.sqlite")
    with RunStore(db) as store:
        old = _finished_run(store, started=1000.0)
        new = _finished_run(store, started=2000.0)
        other_task = store.start({"task": "au", "model": "tiny", "dataset": "disfa"})
        killed = store.start({"task": "expression", "model": "tiny", "dataset": "toy"})
        child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                               capture_output=True, text=True, check=True)
        store._conn.execute("UPDATE runs SET pid = ? WHERE id = ?", (int(child.stdout), killed))

    code, out, _ = cli("runs", "--db", db)
    *table, hidden = out.splitlines()
    ids = [line.split()[0] for line in table[2:]]
    assert code == 0 and str(old) not in ids and str(new) in ids
    assert hidden.startswith("1 superseded run (an older run of the same recipe, fold and "
                             "seed) not shown")
    _, out, _ = cli("runs", "--db", db, "--all")
    assert any(line.split()[:3] == [str(old), "finished", "(superseded)"]
               for line in out.splitlines())
    _, out, _ = cli("runs", "--db", db, "--status", "interrupted")
    assert [line.split()[:3] for line in out.splitlines()[2:]] == \
        [[str(killed), "interrupted", "expression"]]
    _, out, _ = cli("runs", "--db", db, "--task", "au")
    assert [line.split()[0] for line in out.splitlines()[2:]] == [str(other_task)]
    code, out, _ = cli("runs", "--db", db, "--prune")
    assert code == 0 and out.splitlines()[0] == "pruned 1 interrupted run"
    assert str(killed) not in [line.split()[0] for line in out.splitlines()[3:]]
    assert RunStore(db).get(old)["status"] == "finished"


def test_compare_prints_a_table_and_json(cli, tmp_path):
    import json

    import numpy as np

    from ferbench.results.store import RunStore
    db = str(tmp_path / "c.sqlite")
    rng = np.random.default_rng(0)
    with RunStore(db) as store:
        for fold in range(2):
            for model, boost in (("small", 0.2), ("big", 2.0)):
                folder = tmp_path / f"{model}{fold}"
                folder.mkdir()
                targets = np.arange(20) % 2
                scores = rng.normal(size=(20, 2)).astype(np.float32)
                scores[np.arange(20), targets] += boost
                np.savez(folder / "predictions.npz", scores=scores, targets=targets,
                         keys=np.array([f"k{fold}-{i}" for i in range(20)]))
                run_id = store.start({"task": "expression", "model": model, "fold": fold,
                                      "seed": 0, "recipe_hash": f"{model}-recipe",
                                      "manifest": f"m{fold}", "artifacts": str(folder)})
                store.finish(run_id, {"accuracy": float(np.mean(scores.argmax(1) == targets))},
                             {})
    code, out, _ = cli("compare", "small", "big", "--db", db, "--resamples", "50")
    assert code == 0 and out.startswith("A: small (recipe small-recipe)")
    assert "accuracy" in out and "Wilcoxon: fewer than 6 pairs" in out
    code, out, _ = cli("compare", "small", "big", "--db", db, "--resamples", "50", "--json")
    result = json.loads(out)
    (accuracy,) = [row for row in result["metrics"] if row["metric"] == "accuracy"]
    assert accuracy["bootstrap"]["difference"] > 0 and result["pairs"] == 2
    code, _, err = cli("compare", "small", "nobody", "--db", db)
    assert code == 2 and "'nobody' names no finished run" in err
