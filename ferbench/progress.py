"""Progress bars for long steps (dataset decoding, face alignment) with rich.progress: a bar
with counts and time left on stderr when it is a terminal; silent otherwise and in quiet
mode (`set_quiet(True)`, which `--json` turns on)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)

T = TypeVar("T")
_QUIET = False


def set_quiet(quiet: bool) -> None:
    """Silence every progress bar of this process (or show them again)."""
    global _QUIET
    _QUIET = quiet


def _console() -> Console:
    return Console(stderr=True)


@contextmanager
def progress_bar(total: int | None, description: str = "") -> Iterator[Callable[..., None]]:
    """A bar for `total` steps (None: unknown); yields `advance(steps=1)`."""
    console = _console()
    if _QUIET or not console.is_terminal:
        yield lambda steps=1: None
        return
    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeRemainingColumn()]
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda steps=1: bar.advance(task, steps)


def progress(iterable: Iterable[T], total: int | None = None,
             description: str = "") -> Iterator[T]:
    """Every item of `iterable`, advancing a bar (`total` defaults to its length)."""
    if total is None and hasattr(iterable, "__len__"):
        total = len(iterable)
    with progress_bar(total, description) as advance:
        for item in iterable:
            yield item
            advance()
