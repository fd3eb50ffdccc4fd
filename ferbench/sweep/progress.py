"""The sweep's progress bar (rich, on stderr): cells done, running (on Ray: in flight) and
failed; silent when stderr is not a terminal."""

from __future__ import annotations

import threading

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


class SweepProgress:
    """Counts cells as they start and end; safe to call from executor threads."""

    def __init__(self, total: int, skipped: int, running_label: str = "running"):
        self.running = self.done = self.failed = 0
        self._lock = threading.Lock()
        console = Console(stderr=True)
        self._bar = Progress(
            TextColumn(f"sweep ({skipped} skipped)"), BarColumn(), MofNCompleteColumn(),
            TextColumn(f"done {{task.fields[done]}} · {running_label} "
                       "{task.fields[running]} · failed {task.fields[failed]}"),
            TimeElapsedColumn(), console=console, disable=not console.is_terminal)
        self._task = self._bar.add_task("sweep", total=total, done=0, running=0, failed=0)

    def __enter__(self) -> SweepProgress:
        self._bar.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._bar.stop()

    def _show(self) -> None:
        self._bar.update(self._task, completed=self.done + self.failed, done=self.done,
                         running=self.running, failed=self.failed)

    def started(self) -> None:
        with self._lock:
            self.running += 1
            self._show()

    def ended(self, failed: bool) -> None:
        with self._lock:
            self.running -= 1
            if failed:
                self.failed += 1
            else:
                self.done += 1
            self._show()
