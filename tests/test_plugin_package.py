"""The README's "Writing a plugin" section, taken literally: its files become a package that
pip installs, that `ferbench list models` shows and that trains on synthfer; its AU and
transfer examples are registered in-process and run on synthfer."""

import json
import re
import subprocess
from pathlib import Path

from .conftest import PYTHON, REPO, python_subprocess_env
from .test_writing_methods import SMALL, examples, install_plugin


def readme_files() -> dict[str, str]:
    text = (REPO / "README.md").read_text()
    section = text.split("## Writing a plugin", 1)[1].split("\n## ", 1)[0]
    return dict(re.findall(r"<!-- file: (\S+) -->\n```\w*\n(.*?)```", section, re.S))


def test_readme_plugin_installs_lists_and_trains(tmp_path):
    files = readme_files()
    assert set(files) == {"pyproject.toml", "ferbench_mycnn.py"}
    package = tmp_path / "ferbench-mycnn"
    package.mkdir()
    for name, content in files.items():
        (package / name).write_text(content)
    site = tmp_path / "site"
    subprocess.run([PYTHON, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--target", str(site), str(package)], check=True, capture_output=True)
    env = python_subprocess_env(site)
    listed = subprocess.run([PYTHON, "-m", "ferbench.cli", "list", "models", "my*"], env=env,
                            capture_output=True, text=True, check=True).stdout
    assert "my-cnn" in listed and "ferbench-mycnn" in listed
    run = subprocess.run(
        [PYTHON, "-m", "ferbench.cli", "run", "--model", "my-cnn", "--dataset", "synthfer",
         "--epochs", "1", "-o", "model.width=8", "-o", "data.subjects=10",
         "-o", "data.per_class=2", "--db", str(tmp_path / "r.db"), "--json"],
        env=env, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    record = json.loads(run.stdout)
    assert record["status"] == "finished" and record["plugin"] == "ferbench-mycnn"
    assert record["metrics"]["confusion_matrix"]


def readme_example(name: str) -> str:
    section = (REPO / "README.md").read_text().split("## Writing a plugin", 1)[1]
    return examples(section.split("\n## ", 1)[0])[name]


def test_readme_au_example_trains_one_logit_per_au(cli, tmp_path, monkeypatch):
    install_plugin(tmp_path, monkeypatch, "ferbench_myau", readme_example("ferbench_myau.py"))
    code, out, err = cli("run", "--task", "au", "--model", "my-au-cnn", *SMALL, "--epochs", "1",
                         "-o", "model.width=8", "--db", str(tmp_path / "r.db"), "--json")
    assert code == 0, err
    record = json.loads(out)
    assert record["status"] == "finished" and record["task"] == "au"
    assert len(record["metrics"]["per_au_f1"]) == len(record["bookkeeping"]["au_codes"]) > 1
    assert (Path(record["artifacts"]) / "au_roc.png").exists()


def test_readme_transfer_example_learns_from_triples_and_generates(cli, tmp_path, monkeypatch):
    install_plugin(tmp_path, monkeypatch, "ferbench_mytransfer",
                   readme_example("ferbench_mytransfer.py"))
    code, out, err = cli("run", "--task", "transfer", "--model", "my-transfer", *SMALL,
                         "--epochs", "2", "-o", "reference_model=tiny-cnn",
                         "-o", "reference_epochs=1", "--db", str(tmp_path / "r.db"), "--json")
    assert code == 0, err
    record = json.loads(out)
    assert record["status"] == "finished" and record["task"] == "transfer"
    assert record["timing"]["params"] == 3 * 3 * 3  # the 3x3 conv of the stacked input
    folder = Path(record["artifacts"])
    assert (folder / "grid.png").exists() and (folder / "loss.png").exists()
    history = json.loads((folder / "metrics.json").read_text())["history"]
    assert history[1]["l1"] < history[0]["l1"]
    assert 0.0 < record["metrics"]["ssim"] <= 1.0
