"""Coercion of synthfer options, which arrive as strings from the command line or typed."""

from __future__ import annotations

from ...errors import UserError

DIFFICULTIES = ("easy", "normal", "hard")


def _bad(name: str, expected: str, value) -> UserError:
    return UserError(f"synthfer option {name}: expected {expected}, got {value!r}")


def integer(name: str, value, lo: int, hi: int) -> int:
    """`value` as an int in [lo, hi]; accepts ints, integral floats and decimal strings."""
    expected = f"an integer from {lo} to {hi}"
    if isinstance(value, bool):
        raise _bad(name, expected, value)
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str):
        try:
            number = int(value.strip())
        except ValueError:
            raise _bad(name, expected, value) from None
    else:
        raise _bad(name, expected, value)
    if not lo <= number <= hi:
        raise _bad(name, expected, value)
    return number


def channels(value) -> int:
    """1 (grayscale) or 3 (RGB)."""
    expected = "1 (grayscale) or 3 (RGB)"
    try:
        number = integer("channels", value, 1, 3)
    except UserError:
        raise _bad("channels", expected, value) from None
    if number == 2:
        raise _bad("channels", expected, value)
    return number


def difficulty(value) -> str:
    """One of DIFFICULTIES (case-insensitive)."""
    text = value.strip().lower() if isinstance(value, str) else value
    if text not in DIFFICULTIES:
        raise _bad("difficulty", "one of " + ", ".join(DIFFICULTIES), value)
    return text


def common(image_size, channels_, seed, difficulty_) -> tuple[int, int, int, str]:
    """The options shared by `load` and `render_pairs`, validated."""
    return (integer("image_size", image_size, 16, 256), channels(channels_),
            integer("seed", seed, 0, 2**32 - 1), difficulty(difficulty_))
