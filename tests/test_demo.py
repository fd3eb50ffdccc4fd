"""`make demo` leaves a clone's `git status` clean: the demo's own commands, read from the
Makefile and run in a fresh clone, write only to ignored paths (runs/), never to the
published leaderboard/."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from .conftest import PYTHON, REPO

TINY_RUN = ["--epochs", "1", "--threads", "1", "-o", "data.subjects=20", "-o",
            "data.per_class=1"]


def demo_commands() -> list[list[str]]:
    """The ferbench command lines of the Makefile's demo target, in order."""
    lines = (REPO / "Makefile").read_text().split("\ndemo:", 1)[1].split("\n\n", 1)[0]
    commands = [line.split()[1:] for line in lines.splitlines()
                if re.match(r"\t\$\(BIN\)/ferbench\b", line)]
    assert [c[0] for c in commands] == ["run", "leaderboard"], commands
    return commands


@pytest.mark.skipif(shutil.which("git") is None or not (REPO / ".git").exists(),
                    reason="needs git and a git checkout")
def test_demo_leaves_a_clone_clean(tmp_path):
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
    env = {k: v for k, v in os.environ.items() if k != "FERBENCH_DB"}  # the default store
    for command in demo_commands():
        extra = TINY_RUN if command[0] == "run" else []
        result = subprocess.run([PYTHON, "-m", "ferbench", *command, *extra], cwd=clone,
                                env=env, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stderr
    assert (clone / "runs" / "leaderboard" / "README.md").is_file()
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"],
                            cwd=clone, capture_output=True, text=True, check=True)
    assert status.stdout == ""
