"""One cell on a worker: `ferbench run ... --json` in a subprocess with its own temporary
run store, so that only the sweep's driver ever writes the user's store."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..results.store import RunStore


@dataclass
class CellResult:
    """What a worker hands back: the run's record (None when the run never started), the
    error of a failed run, and its artifacts folder as tar.gz bytes when not shared."""

    record: dict | None
    error: str | None
    started: float
    ended: float
    killed: bool = False  # ended by a signal (out of memory, a killed worker)
    artifacts: bytes | None = None


def default_command() -> list[str]:
    """`ferbench` as this interpreter runs it (on a Ray worker: the worker's Python)."""
    return [sys.executable, "-m", "ferbench.cli"]


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def run_cell(argv: Sequence[str], out: Path, command: Sequence[str] | None = None,
             launched: Callable[[subprocess.Popen], None] | None = None) -> CellResult:
    """Run `ferbench run ARGV --json` writing artifacts under `out`; `launched` receives the
    process (so that an interrupted driver can end it)."""
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="ferbench-cell-") as tmp:
        db = Path(tmp) / "runs.db"
        args = [*(command or default_command()), "run", *argv, "--json", "--db", str(db),
                "--out", str(out)]
        with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) as proc:
            if launched is not None:
                launched(proc)
            try:
                stdout, stderr = proc.communicate()
            except BaseException:  # an interrupted worker ends its run too
                proc.terminate()
                raise
        ended = time.time()
        if proc.returncode == 0:
            try:
                return CellResult(json.loads(stdout), None, started, ended)
            except ValueError:
                return CellResult(None, "ferbench run --json printed no JSON record: "
                                  f"{_last_line(stdout) or 'nothing'}", started, ended)
        error = f"exit status {proc.returncode}: {_last_line(stderr) or 'no message'}"
        record = None
        if db.exists():
            with RunStore(db) as store:
                rows = store.list()
            if rows:
                record = rows[0]
                error = record.get("error") or error
                record.update(status="failed", error=error, ended=record.get("ended") or ended)
        return CellResult(record, error, started, ended, killed=proc.returncode < 0)


def pack_artifacts(folder: Path) -> bytes:
    """`folder` as tar.gz bytes, its files under the folder's own name."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(folder, arcname=folder.name)
    return buffer.getvalue()


def unpack_artifacts(data: bytes, out: Path) -> Path:
    """Extract `pack_artifacts` bytes under `out`; the extracted folder."""
    out.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        top = {Path(name).parts[0] for name in tar.getnames()}
        if len(top) != 1:
            raise ValueError(f"artifacts archive holds {len(top)} top-level entries, "
                             "expected one folder")
        tar.extractall(out, filter="data")
    return out / top.pop()
