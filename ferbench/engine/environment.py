"""The environment fingerprint recorded with every run, and the machine's load around timings."""

from __future__ import annotations

import os
import platform
import subprocess
import time
from pathlib import Path

import torch

from .. import __version__


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return cpu_name()


# The published leaderboard (its run store, tables, plots and predictions) changes with every
# run recorded into it; such changes are results, not code, and leave a checkout clean.
NOT_CODE = ":(exclude,top)leaderboard"


def git_commit(where: Path | None = None) -> str | None:
    """The commit of the ferbench checkout (or of `where`), with '-dirty' for local changes
    to tracked files outside leaderboard/, if any."""
    where = where or Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(["git", "-C", str(where), "rev-parse", "HEAD"],
                                capture_output=True, text=True, timeout=5, check=True)
        dirty = subprocess.run(["git", "-C", str(where), "status", "--porcelain",
                                "--untracked-files=no", "--", ".", NOT_CODE],
                               capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return commit.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def fingerprint(device: torch.device, plugins: dict[str, str]) -> dict:
    return {
        "ferbench": __version__,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "cuda": torch.version.cuda if device.type == "cuda" else None,
        "device_name": device_name(device),
        "cpu": cpu_name(),
        "threads": torch.get_num_threads(),
        "git_commit": git_commit(),
        "plugins": plugins,
    }


def _parents() -> dict[int, int]:
    """pid -> parent pid of every live process (from /proc/<pid>/stat)."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:  # the process ended while we looked
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    return parents


def _lineage(pid: int, parents: dict[int, int]) -> list[int]:
    """`pid` and its ancestors, nearest first."""
    chain = [pid]
    while (up := parents.get(chain[-1])) and up not in chain:
        chain.append(up)
    return chain


def other_ferbench_processes() -> list[int]:
    """Pids of live processes whose command line mentions ferbench, except this process,
    its ancestors (the shell that started it) and its descendants (DataLoader workers)."""
    parents = _parents()
    me = os.getpid()
    ancestors = set(_lineage(me, parents))
    found = []
    for pid in sorted(parents):
        if pid in ancestors:
            continue
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"ferbench" in cmdline and me not in _lineage(pid, parents):
            found.append(pid)
    return found


def load_snapshot() -> dict:
    """The machine's load now: load averages, CPU count, other ferbench processes."""
    one, five, fifteen = os.getloadavg()
    others = other_ferbench_processes()
    return {"time": time.time(), "loadavg_1m": one, "loadavg_5m": five,
            "loadavg_15m": fifteen, "cpu_count": os.cpu_count() or 1,
            "ferbench_processes": len(others), "ferbench_pids": others}


def contamination(snapshots: list[dict], threads: int) -> str | None:
    """Why timings taken between `snapshots` on `threads` threads are unreliable (None when
    they are not): a 1-min load average above cpu_count - threads + 0.5, or other ferbench
    processes running."""
    reasons = []
    load = max(s["loadavg_1m"] for s in snapshots)
    limit = snapshots[0]["cpu_count"] - threads + 0.5
    if load > limit:
        reasons.append(f"1-min load average {load:.2f} above {limit:.1f} "
                       f"({snapshots[0]['cpu_count']} CPUs - {threads} threads + 0.5)")
    pids = sorted({pid for s in snapshots for pid in s["ferbench_pids"]})
    if pids:
        reasons.append(f"{len(pids)} other ferbench process(es) running "
                       f"(pid {', '.join(map(str, pids))})")
    return "; ".join(reasons) or None
