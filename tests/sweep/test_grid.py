"""Grid expansion: cartesian products, folds, argv that `ferbench run` parses back to the
same RunConfig, and bad grid files named with their field."""

from __future__ import annotations

import pytest

from ferbench.errors import UserError
from ferbench.sweep import Cell, grid_from_flags, load_grid


def write(tmp_path, text: str):
    path = tmp_path / "grid.yaml"
    path.write_text(text)
    return path


def test_cartesian_product_of_models_seeds_and_options(tmp_path):
    cells = load_grid(write(tmp_path, """
models: [tiny-cnn, resnet18]
datasets: synthfer
seeds: [0, 1]
options:
  lr: [0.001, 0.01]
  model.width: [4, 8, 16]
run:
  epochs: 1
  threads: 2
  data.subjects: 6
"""))
    assert len(cells) == 2 * 2 * 2 * 3
    combos = {(c.model, c.seed, c.options["lr"], c.options["model.width"]) for c in cells}
    assert len(combos) == 24
    assert all(c.options["epochs"] == 1 and c.options["data.subjects"] == 6 for c in cells)
    assert all(c.threads == 2 and c.dataset == "synthfer" and c.fold is None for c in cells)


def test_folds_all_expands_k_for_kfold_and_once_for_holdout(tmp_path):
    cells = load_grid(write(tmp_path, """
models: [tiny-cnn]
datasets: [synthfer]
protocols: [kfold, holdout]
k: 5
folds: all
seeds: [3]
"""))
    kfold = [c for c in cells if c.protocol == "kfold"]
    assert [c.fold for c in kfold] == [0, 1, 2, 3, 4]
    assert all(c.k == 5 and c.seed == 3 for c in kfold)
    assert [c.fold for c in cells if c.protocol == "holdout"] == [None]
    assert len({c.label for c in cells}) == len(cells) == 6


def test_folds_all_defaults_to_ten_and_a_list_is_kept():
    assert len(grid_from_flags(["tiny-cnn"], ["synthfer"], protocols=["kfold"],
                               folds="all")) == 10
    cells = grid_from_flags(["tiny-cnn"], ["synthfer"], protocols=["loso"], folds="2,5")
    assert [c.fold for c in cells] == [2, 5]


def test_argv_and_label():
    cell = Cell(model="tiny-cnn", dataset="synthfer", protocol="kfold", fold=3, seed=1, k=5,
                options={"lr": 1e-05, "optimizer": "sgd", "augment": {"hflip": False}})
    argv = cell.argv(threads=4)
    assert argv[:6] == ["--model", "tiny-cnn", "--dataset", "synthfer", "--seed", "1"]
    assert ["--fold", "3"] == argv[argv.index("--fold"):argv.index("--fold") + 2]
    assert ["--threads", "4"] == argv[argv.index("--threads"):argv.index("--threads") + 2]
    assert "lr=1.0e-05" in argv and "optimizer=sgd" in argv and "augment={hflip: false}" in argv
    assert Cell("a", "b", threads=2).argv(threads=4)[-1] == "2"  # the grid's threads win
    assert cell.label == ("tiny-cnn synthfer kfold[3] seed 1 lr=1.0e-05 optimizer=sgd "
                          "augment={hflip: false}")


def test_argv_parses_back_to_the_cells_run_config():
    from ferbench.cli import _run_config, build_parser
    cells = grid_from_flags(["tiny-cnn"], ["synthfer"], protocols=["kfold"], folds="1",
                            seeds="7", k=4, vary=["lr=[1e-4, 0.5]", "model.width=[4]"],
                            options=["epochs=2", "data.per_class=2", "augment.shift=0.2"],
                            threads=1, device="cpu")
    assert len(cells) == 2
    for cell in cells:
        args = build_parser().parse_args(["run", *cell.argv()])
        assert _run_config(args).as_dict() == cell.config().as_dict()
    assert cells[0].config().hparams["lr"] == pytest.approx(1e-4)


@pytest.mark.parametrize("text,message", [
    ("models: [tiny-cnn]\n", "grid.yaml: datasets: required"),
    ("models: [tiny-cnn]\ndatasets: [synthfer]\nseed: [1]\n",
     "grid.yaml: seed: unknown field; expected models, datasets, protocols, k, folds, seeds, "
     "options, run; did you mean seeds?"),
    ("models: tiny-cnn\ndatasets: [synthfer]\nseeds: [0, -1]\n",
     "grid.yaml: seeds: expected a non-empty list of integers >= 0"),
    ("models: [tiny-cnn]\ndatasets: [synthfer]\nfolds: all\n",
     "grid.yaml: folds: needs protocols"),
    ("models: [tiny-cnn]\ndatasets: [synthfer]\nprotocols: [loso]\nfolds: all\n",
     "grid.yaml: folds: 'all' expands only for protocol kfold"),
    ("models: [tiny-cnn]\ndatasets: [synthfer]\noptions:\n  lr: 0.1\n",
     "grid.yaml: options.lr: expected a non-empty list of values"),
    ("models: [tiny-cnn]\ndatasets: [synthfer]\noptions:\n  epochs: [1, -2]\n",
     "grid.yaml: options.epochs: option epochs: expected a value >= 1"),
    ("models: [tiny-cnn]\ndatasets: [synthfer]\nrun:\n  seed: 3\n",
     "grid.yaml: run.seed: set it with the grid's 'seeds' field"),
    ("models: [tiny-cnn]\ndatasets: [synthfer]\nrun:\n  threads: 0\n",
     "grid.yaml: run.threads: expected a non-empty list of integers >= 1"),
    ("models: [tiny-cnn]\ndatasets: [synthfer]\nrun:\n  lr: 0.1\noptions:\n  lr: [0.2]\n",
     "grid.yaml: run.lr: also varied under options"),
    ("- tiny-cnn\n", "grid.yaml: expected a mapping"),
    ("models: [tiny-cnn\n", "grid.yaml: line 2 invalid YAML"),
])
def test_bad_grid_files_name_the_file_and_field(tmp_path, text, message):
    with pytest.raises(UserError) as info:
        load_grid(write(tmp_path, text))
    assert str(info.value).startswith(str(tmp_path / "grid.yaml"))
    assert message in str(info.value)


def test_missing_grid_file_and_bad_flags(tmp_path):
    with pytest.raises(UserError, match="nope.yaml: cannot read the grid file"):
        load_grid(tmp_path / "nope.yaml")
    with pytest.raises(UserError, match="--seeds: expected comma-separated integers"):
        grid_from_flags(["tiny-cnn"], ["synthfer"], seeds="0,x")
    with pytest.raises(UserError, match="--vary.lr: expected a non-empty list of values"):
        grid_from_flags(["tiny-cnn"], ["synthfer"], vary=["lr=0.1"])
