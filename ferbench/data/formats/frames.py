"""Helpers of the frame-sequence loaders (DISFA, BP4D): frame files by number, a preallocated
image tensor filled frame by frame (so 100k+ frames never sit in a Python list), and the
skip-or-raise rule for missing frames."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ...errors import UserError
from .common import at, image_files


def numbered_images(folder: Path) -> dict[int, Path]:
    """The image files of `folder` by frame number (the stem as an integer, so `17.jpg` and
    `0017.jpg` are both frame 17); empty when the folder is absent."""
    if not folder.is_dir():
        return {}
    return {int(p.stem): p for p in image_files(folder) if p.stem.isdigit()}


def skip(skipped: list[tuple[str, str]], strict: bool, file: Path | str, reason: str) -> None:
    """Record (file, reason) in `skipped`, or with `strict` raise it as a UserError."""
    if strict:
        raise UserError(f"{file}: {reason}")
    skipped.append((str(file), reason))


class FrameTensor:
    """A uint8 (capacity, C, S, S) tensor allocated once and filled one frame at a time."""

    def __init__(self, capacity: int, channels: int, size: int) -> None:
        self.images = torch.empty((capacity, channels, size, size), dtype=torch.uint8)
        self._rows = self.images.numpy()  # a view: writing it fills the tensor
        self.count = 0

    def add(self, frame: np.ndarray) -> None:
        """Store a uint8 (S, S, C) frame in the next free row."""
        self._rows[self.count] = frame.transpose(2, 0, 1)
        self.count += 1

    def tensor(self) -> torch.Tensor:
        """The filled rows (copied only when fewer than `capacity` were filled, so that the
        cache never stores the unused rows)."""
        if self.count == len(self.images):
            return self.images
        return self.images[:self.count].clone()


def read_numbers(path: Path, *, header: bool) -> tuple[list[str], np.ndarray, np.ndarray]:
    """A comma-separated table of numbers: its header fields (when `header`), the line number
    of every data row and the rows as float64 (rows, width). UserError naming file:line for
    a row of another width or a field that is not a number."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except OSError as exc:
        raise UserError(f"{path}: cannot open ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise UserError(f"{path}: not a text file") from None
    names = [h.strip() for h in lines[0].split(",")] if header and lines else []
    width = len(names) or None
    numbers, rows = [], []
    for line_no, line in enumerate(lines[int(header):], start=1 + int(header)):
        if not line.strip():
            continue
        fields = line.split(",")
        width = width or len(fields)
        if len(fields) != width:
            raise UserError(f"{at(path, line_no)}: {len(fields)} fields, expected {width}")
        try:
            rows.append([float(f) for f in fields])
        except ValueError:
            raise UserError(f"{at(path, line_no)}: expected comma-separated numbers, got "
                            f"{line.strip()!r}") from None
        numbers.append(line_no)
    table = np.asarray(rows, np.float64).reshape(len(rows), width or 0)
    return names, np.asarray(numbers, np.int64), table


def first_bad(path: Path, lines: np.ndarray, bad: np.ndarray) -> str:
    """`file:line` of the first row flagged in the boolean (rows,) or (rows, cols) `bad`."""
    row = int(np.argwhere(bad)[0][0])
    return at(path, int(lines[row]))
