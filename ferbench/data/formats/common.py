"""Helpers shared by the dataset loaders: canonical class names, option coercion, root and
CSV checks, class-folder scans, image decoding and FaceSet assembly."""

from __future__ import annotations

import csv
import math
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ...errors import UserError
from ...progress import progress_bar
from ..catalog import GATED
from ..faceset import FaceSet
from ..imageio import is_image, read_image, resize
from ..info import DatasetInfo

CANONICAL_CLASSES = ("neutral", "anger", "contempt", "disgust", "fear", "happy", "sadness",
                     "surprise")

SYNONYMS = {
    "angry": "anger", "sad": "sadness", "happiness": "happy", "surprised": "surprise",
    "disgusted": "disgust", "fearful": "fear", "contemptuous": "contempt",
}

_TRUE = {"1", "true", "yes", "on", "y", "t"}
_FALSE = {"0", "false", "no", "off", "n", "f"}


def canonical_name(name: str) -> str | None:
    """The canonical class name for `name` (case-insensitive, with common synonyms), else None."""
    low = name.strip().lower()
    low = SYNONYMS.get(low, low)
    return low if low in CANONICAL_CLASSES else None


# ----------------------------------------------------------------------------- options

@dataclass(frozen=True)
class Option:
    """A loader option: its default (bool, int, float or str: the type the value is coerced
    to), the allowed values (empty: any value of that type) and, for numbers, a minimum."""

    default: Any
    choices: tuple = ()
    minimum: float | None = None


def _coerce(dataset: str, name: str, value: Any, opt: Option) -> Any:
    kind = type(opt.default)
    expected = (" or ".join(repr(c) for c in opt.choices) if opt.choices
                else {bool: "true or false", int: "an integer", float: "a number"}.get(
                    kind, "a string"))
    if opt.minimum is not None:
        expected += f" >= {opt.minimum}"
    bad = UserError(f"{dataset}: option {name}={value!r} is invalid; expected {expected}")
    if kind is bool:
        if isinstance(value, bool):
            out = value
        elif str(value).strip().lower() in _TRUE | _FALSE:
            out = str(value).strip().lower() in _TRUE
        else:
            raise bad
    elif kind in (int, float):
        if isinstance(value, bool):
            raise bad
        try:
            out = kind(str(value).strip())
        except ValueError:
            raise bad from None
        if not math.isfinite(out):
            raise bad
        if opt.minimum is not None and out < opt.minimum:
            raise bad
    else:
        out = str(value).strip()
    if opt.choices and out not in opt.choices:
        raise bad
    return out


def coerce_options(dataset: str, options: Mapping[str, Any],
                   schema: Mapping[str, Option]) -> dict[str, Any]:
    """`options` (values may be command-line strings) coerced and validated against `schema`,
    with defaults filled in; UserError naming an unknown option or a bad value."""
    unknown = sorted(set(options) - set(schema))
    if unknown:
        known = ", ".join(sorted(schema)) or "none"
        raise UserError(f"{dataset}: unknown option {unknown[0]!r}; known options: {known}")
    return {name: _coerce(dataset, name, options[name], opt) if name in options else opt.default
            for name, opt in schema.items()}


def image_args(dataset: str, image_size: Any, channels: Any) -> tuple[int, int]:
    """`image_size` (>= 8) and `channels` (1 or 3) coerced to ints; UserError if invalid."""
    size = _coerce(dataset, "image_size", image_size, Option(48, minimum=8))
    chans = _coerce(dataset, "channels", channels, Option(1, choices=(1, 3)))
    return size, chans


def strict_arg(dataset: str, strict: Any) -> bool:
    """`strict` coerced to a bool (it may arrive as a command-line string)."""
    return _coerce(dataset, "strict", strict, Option(False))


# ----------------------------------------------------------------------------- files

def missing_root_error(dataset: str, layout: str, root: Any) -> UserError:
    """The one-line error for a missing or wrong dataset root (`root` None: none given)."""
    where = "no --data-root given" if root is None else \
        f"{root} not found or not in the expected layout"
    return UserError(
        f"{dataset}: {where} ({layout}); {dataset} is licence-gated: obtain it from its "
        f"authors (ferbench does not download it) and pass its folder with --data-root")


def require_root(root: Any, dataset: str, layout: str, *, must_contain: Sequence[str] = (),
                 allow_file: bool = False) -> Path:
    """`root` as a Path, checked to exist (a folder unless `allow_file`) and to hold at least
    one of `must_contain` (relative paths); UserError naming the layout otherwise."""
    if root is None:
        raise missing_root_error(dataset, layout, None)
    path = Path(root).expanduser()
    if path.is_file() and allow_file:
        return path
    if not path.is_dir() or (must_contain and not any((path / m).exists() for m in must_contain)):
        raise missing_root_error(dataset, layout, path)
    return path


def at(path: Path | str, line: int | None = None) -> str:
    """`file` or `file:line`, for error messages."""
    return f"{path}:{line}" if line is not None else str(path)


def read_csv(path: Path, required: Sequence[str]) -> tuple[dict[str, int], Iterator[
        tuple[int, list[str]]]]:
    """Open a CSV whose header (names stripped of spaces) holds `required`; return the column
    index of every header name and an iterator of (line number, row) over the data rows.
    UserError naming the file and the expected header when it does not match."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            header = [h.strip() for h in next(csv.reader(handle), [])]
    except OSError as exc:
        raise UserError(f"{path}: cannot open ({exc.strerror})") from None
    except (csv.Error, UnicodeDecodeError) as exc:
        raise UserError(f"{at(path, 1)}: malformed CSV header ({exc})") from None
    columns = {name: i for i, name in enumerate(header)}
    missing = [c for c in required if c not in columns]
    if missing:
        raise UserError(f"{at(path, 1)}: header {','.join(header)!r} lacks "
                        f"{', '.join(missing)}; expected columns {','.join(required)}")

    def rows() -> Iterator[tuple[int, list[str]]]:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            try:
                next(reader, None)
                for row in reader:
                    if row:
                        yield reader.line_num, row
            except (csv.Error, UnicodeDecodeError) as exc:
                raise UserError(f"{at(path, reader.line_num)}: malformed CSV ({exc})") from None

    return columns, rows()


def field(row: list[str], column: int, path: Path, line: int) -> str:
    """`row[column]` stripped; UserError naming file:line when the row is too short."""
    if column >= len(row):
        raise UserError(f"{at(path, line)}: row has {len(row)} fields, expected at least "
                        f"{column + 1}")
    return row[column].strip()


def parse_code(text: str, table: Mapping[int, Any], path: Path, line: int | None) -> Any:
    """`table[int(text)]` for a label code such as "3" or "3.0000000e+00"; UserError naming
    file:line and the valid codes when it is unknown."""
    try:
        number = float(text)
        code = int(number)
        if code != number or code not in table:
            raise ValueError
    except ValueError:
        codes = ", ".join(str(c) for c in sorted(table))
        raise UserError(f"{at(path, line)}: unknown label code {text.strip()!r}; expected one "
                        f"of {codes}") from None
    return table[code]


def parse_pixels(text: str, count: int, path: Path, line: int) -> np.ndarray:
    """`count` space-separated 0-255 integers as uint8; UserError naming file:line otherwise."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        try:
            values = np.fromstring(text, dtype=np.int32, sep=" ")
        except (DeprecationWarning, ValueError):
            values = None
    if values is None or len(values) != count:
        got = len(text.split())
        problem = f"has {got} values" if got != count else "holds a non-integer value"
        raise UserError(f"{at(path, line)}: pixels field {problem}; expected {count} "
                        f"space-separated integers 0-255")
    if values.min(initial=0) < 0 or values.max(initial=0) > 255:
        raise UserError(f"{at(path, line)}: pixel value outside 0-255")
    return values.astype(np.uint8)


def image_files(folder: Path, *, recursive: bool = False) -> list[Path]:
    """The image files in `folder` (sorted; hidden files skipped)."""
    found = folder.rglob("*") if recursive else folder.iterdir()
    return sorted(p for p in found if p.is_file() and is_image(p) and not p.name.startswith("."))


def class_folders(root: Path) -> list[Path]:
    """The sub-folders of `root`, sorted by name (hidden folders skipped)."""
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def scan_class_tree(root: Path, folder_labels: Mapping[str, int]) -> list[tuple[Path, int]]:
    """(image path, label) for every image in `root/<class>/`, the folder name mapped
    case-insensitively through `folder_labels`; UserError for an unknown class folder."""
    lookup = {name.lower(): label for name, label in folder_labels.items()}
    found: list[tuple[Path, int]] = []
    for folder in class_folders(root):
        if folder.name.lower() not in lookup:
            raise UserError(f"{folder}: unknown class folder {folder.name!r}; expected one of "
                            f"{', '.join(folder_labels)}")
        found += [(p, lookup[folder.name.lower()]) for p in image_files(folder)]
    return found


def relative_key(path: Path, root: Path) -> str:
    """The stable key of a file: its path relative to `root`, with forward slashes."""
    return path.relative_to(root).as_posix()


# ----------------------------------------------------------------------------- images

def crop_box(arr: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray | None:
    """The (h, w, C) region `box` = (x, y, w, h) of `arr`, black where it leaves the image
    (so box geometry is kept exactly); None when the box misses the image."""
    x, y, w, h = (int(v) for v in box)
    height, width = arr.shape[:2]
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, width), min(y + h, height)
    if w < 1 or h < 1 or x1 <= x0 or y1 <= y0:
        return None
    out = np.zeros((h, w, arr.shape[2]), np.uint8)
    out[y0 - y:y1 - y, x0 - x:x1 - x] = arr[y0:y1, x0:x1]
    return out


def decode(path: Path, *, image_size: int, channels: int,
           box: tuple[int, int, int, int] | None = None) -> np.ndarray:
    """The image at `path` as uint8 (image_size, image_size, channels), first cropped to
    `box` = (x, y, width, height) (see `crop_box`); UserError naming the file."""
    arr = read_image(path, channels)
    if box is not None:
        crop = crop_box(arr, box)
        if crop is None:
            raise UserError(f"{path}: face box {tuple(box)} lies outside the "
                            f"{arr.shape[1]}x{arr.shape[0]} image")
        arr = crop
    return resize(np.ascontiguousarray(arr), image_size)


def stack_images(arrays: Sequence[np.ndarray], *, image_size: int,
                 channels: int) -> torch.Tensor:
    """uint8 (H, W, C) arrays as one uint8 (N, C, H, W) tensor (empty input gives N = 0)."""
    if not arrays:
        return torch.empty((0, channels, image_size, image_size), dtype=torch.uint8)
    return torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).contiguous()


def load_images(paths: Sequence[Path], *, image_size: int, channels: int, strict: bool,
                boxes: Sequence[tuple[int, int, int, int] | None] | None = None,
                ) -> tuple[torch.Tensor, np.ndarray, list[tuple[str, str]]]:
    """Decode `paths` (optionally cropping `boxes`) into a uint8 (M, C, S, S) tensor.
    Returns the images, the indices into `paths` that were kept, and (file, reason) for
    every unreadable file skipped; with `strict` the first unreadable file raises."""
    arrays, kept, skipped = [], [], []
    with progress_bar(len(paths), "decoding images") as advance:
        for i, path in enumerate(paths):
            try:
                arrays.append(decode(path, image_size=image_size, channels=channels,
                                     box=None if boxes is None else boxes[i]))
                kept.append(i)
            except UserError as exc:
                if strict:
                    raise
                skipped.append((str(path), str(exc).removeprefix(f"{path}: ")))
            advance()
    images = stack_images(arrays, image_size=image_size, channels=channels)
    return images, np.asarray(kept, dtype=np.int64), skipped


# ----------------------------------------------------------------------------- assembly

def make_info(name: str, class_names: Sequence[str], subjects: Sequence[str], *,
              image_size: int, channels: int, tasks: Sequence[str] = ("expression",),
              au_codes: Sequence[int] = (), source: str = "", licence: str = GATED,
              extra: Mapping[str, Any] | None = None) -> DatasetInfo:
    """The DatasetInfo of a loaded dataset (num_subjects counted from `subjects`)."""
    return DatasetInfo(name=name, class_names=tuple(class_names), in_chans=channels,
                       image_size=image_size, tasks=tuple(tasks),
                       num_subjects=len(set(subjects)), au_codes=tuple(au_codes),
                       source=source, licence=licence, extra=dict(extra or {}))


def make_faceset(info: DatasetInfo, images: torch.Tensor, labels: Sequence[int],
                 subjects: Sequence[str], keys: Sequence[str], **fields: Any) -> FaceSet:
    """A FaceSet from plain lists: labels become int64, official_split and pair_keys string
    arrays; the other optional FaceSet fields (au_presence, landmarks, soft_labels, skipped,
    ...) pass through."""
    for name in ("official_split", "pair_keys"):
        if fields.get(name) is not None:
            fields[name] = np.asarray(fields[name], dtype=str)
    return FaceSet(info=info, images=images,
                   labels=torch.as_tensor(np.asarray(labels, dtype=np.int64)),
                   subjects=np.asarray(subjects, dtype=str), keys=np.asarray(keys, dtype=str),
                   **fields)
