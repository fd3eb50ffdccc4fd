"""Progress bars: every item passes through; a bar on a terminal, silence otherwise."""

import io

import pytest
from rich.console import Console

from ferbench import progress as progress_module
from ferbench.progress import progress, progress_bar, set_quiet


@pytest.fixture
def terminal(monkeypatch):
    """stderr replaced by an in-memory terminal; returns what was written to it."""
    out = io.StringIO()
    monkeypatch.setattr(progress_module, "_console",
                        lambda: Console(file=out, force_terminal=True, width=80))
    yield out
    set_quiet(False)


def test_silent_when_stderr_is_not_a_terminal(capfd):
    items = list(progress(range(7), description="decoding"))
    with progress_bar(3, "aligning") as advance:
        for _ in range(3):
            advance()
    assert items == list(range(7))
    assert capfd.readouterr().err == ""


def test_bar_with_counts_on_a_terminal(terminal):
    items = list(progress(iter("abcd"), total=4, description="decoding images"))
    assert items == ["a", "b", "c", "d"]
    shown = terminal.getvalue()
    assert "decoding images" in shown and "4/4" in shown


def test_quiet_mode_silences_a_terminal(terminal):
    set_quiet(True)
    assert list(progress([1, 2, 3], description="decoding")) == [1, 2, 3]
    assert terminal.getvalue() == ""


def test_context_form_counts_and_lets_errors_through(terminal):
    with pytest.raises(ValueError), progress_bar(2, "aligning faces") as advance:
        advance()
        raise ValueError("bad file")
    assert "aligning faces" in terminal.getvalue()
    assert "1/2" in terminal.getvalue()
