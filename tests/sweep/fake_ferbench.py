"""A stand-in for `ferbench` in executor tests: `fake_ferbench.py COUNTER MODE run ARGS`.

Appends a line to COUNTER, then for MODE "ok" writes an artifacts folder under --out and
prints a finished record whose metrics hold the arguments; for MODE "kill" kills itself;
for MODE "garbage" prints a line that is not JSON."""

import json
import os
import signal
import sys
from pathlib import Path

counter, mode, argv = sys.argv[1], sys.argv[2], sys.argv[4:]
with open(counter, "a") as handle:
    handle.write("called\n")
if mode == "kill":
    os.kill(os.getpid(), signal.SIGKILL)
if mode == "garbage":
    print("Warning: some plugin printed this")
    sys.exit(0)
folder = Path(argv[argv.index("--out") + 1]) / f"fake-{os.getpid()}"
folder.mkdir(parents=True)
(folder / "metrics.json").write_text("{}")
print(json.dumps({"id": 1, "status": "finished", "config_hash": "fake",
                  "artifacts": str(folder), "metrics": {"argv": argv}}))
