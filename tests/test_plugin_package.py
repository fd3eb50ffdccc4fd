"""The README's "Writing a plugin" section, taken literally: its files become a package that
pip installs, that `ferbench list models` shows and that trains on synthfer."""

import json
import re
import subprocess

from .conftest import PYTHON, REPO, python_subprocess_env


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
