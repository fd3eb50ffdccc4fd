"""One run on two processes with torchrun (gloo on the CPU): rank 0 alone records it, and
it learns as the single-process run does."""

import json
import os
import subprocess

from ferbench.results.store import RunStore

from .conftest import PYTHON

RUN = ["run", "--model", "tiny-cnn", "--dataset", "synthfer", "--epochs", "3", "--threads", "1",
       "-o", "data.subjects=12", "-o", "data.per_class=2", "-o", "data.difficulty=easy",
       "-o", "lr=3e-3", "--json"]


def _run(prefix: list[str], db, tmp_path) -> dict:
    env = {**os.environ, "FERBENCH_DB": str(db), "OMP_NUM_THREADS": "1"}
    result = subprocess.run([*prefix, *RUN], capture_output=True, text=True, env=env,
                            cwd=tmp_path, timeout=300, check=False)
    # each rank's one-line error, which torchrun's long report would push out of the tail
    errors = [line for line in result.stderr.splitlines() if "ferbench: " in line]
    assert result.returncode == 0, "\n".join(errors) or result.stderr[-2000:]
    return json.loads(result.stdout)


def _history(record: dict) -> list[dict]:
    folder = record["artifacts"]
    return json.loads(open(f"{folder}/metrics.json").read())["history"]


def test_two_process_run_records_once_and_learns_like_one_process(tmp_path):
    ddp_db, single_db = tmp_path / "ddp.db", tmp_path / "single.db"
    ddp = _run([PYTHON, "-m", "torch.distributed.run", "--nproc_per_node", "2",
                "-m", "ferbench"], ddp_db, tmp_path)
    single = _run([PYTHON, "-m", "ferbench"], single_db, tmp_path)
    rows = RunStore(ddp_db).list()
    assert len(rows) == 1 and rows[0]["status"] == "finished"  # only rank 0 recorded
    assert ddp["bookkeeping"]["world_size"] == 2 and ddp["config"]["world_size"] == 2
    assert ddp["config_hash"] != single["config_hash"]  # the world size is in the recipe
    losses = [h["train_loss"] for h in _history(ddp)]
    assert losses[-1] < losses[0]
    # same global batch and epochs: the two runs agree up to sampling noise
    assert abs(ddp["metrics"]["accuracy"] - single["metrics"]["accuracy"]) < 0.2
    assert abs(losses[-1] - _history(single)[-1]["train_loss"]) < 0.5
