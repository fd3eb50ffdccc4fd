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
