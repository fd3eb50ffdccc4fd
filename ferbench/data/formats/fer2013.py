"""FER2013 (Goodfellow et al. 2013): `fer2013.csv`, Kaggle's `icml_face_data.csv`, or the
image-folder re-packaging `train/<class>/Training_*.jpg`, `test/<class>/P*Test_*.jpg`.

FER2013 has no subject ids: every image is its own subject (its key)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ...errors import UserError
from ..faceset import FaceSet
from ..imageio import resize
from .common import (
    at,
    coerce_options,
    field,
    image_args,
    load_images,
    make_faceset,
    make_info,
    parse_code,
    parse_pixels,
    read_csv,
    relative_key,
    require_root,
    scan_class_tree,
    strict_arg,
)

NAME = "fer2013"
CLASSES = ("anger", "disgust", "fear", "happy", "sadness", "surprise", "neutral")
FOLDERS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
CSV_NAMES = ("fer2013.csv", "icml_face_data.csv")
COLUMNS = ("emotion", "pixels", "Usage")
USAGE = {"Training": "train", "PublicTest": "val", "PrivateTest": "test"}
FILE_PREFIX = {"Training_": "train", "PublicTest_": "val", "PrivateTest_": "test"}
SIDE = 48
LAYOUT = ("fer2013.csv (emotion,pixels,Usage) or icml_face_data.csv, or "
          "train/<class>/Training_*.jpg + test/<class>/PublicTest_*.jpg|PrivateTest_*.jpg")
SOURCE = "Goodfellow et al. 2013, Challenges in Representation Learning (ICML workshop)"


@dataclass
class FerRows:
    """The rows of a FER2013 CSV: pixels (N, 48*48) uint8, labels, splits and CSV line numbers."""

    path: Path
    pixels: np.ndarray
    labels: np.ndarray
    splits: np.ndarray
    lines: np.ndarray


def find_csv(root: Path) -> Path | None:
    """`root` itself when it is a file, else the first of CSV_NAMES found in it."""
    if root.is_file():
        return root
    return next((root / n for n in CSV_NAMES if (root / n).is_file()), None)


def read_fer_csv(path: Path) -> FerRows:
    """Parse a FER2013 CSV; UserError naming file:line for a bad code, usage or pixel count."""
    columns, rows = read_csv(path, COLUMNS)
    c_emotion, c_pixels, c_usage = (columns[c] for c in COLUMNS)
    codes = {i: i for i in range(len(CLASSES))}
    pixels, labels, splits, lines = [], [], [], []
    for line, row in rows:
        labels.append(parse_code(field(row, c_emotion, path, line), codes, path, line))
        usage = field(row, c_usage, path, line)
        if usage not in USAGE:
            raise UserError(f"{at(path, line)}: unknown Usage {usage!r}; expected one of "
                            f"{', '.join(USAGE)}")
        splits.append(USAGE[usage])
        pixels.append(parse_pixels(field(row, c_pixels, path, line), SIDE * SIDE, path, line))
        lines.append(line)
    if not pixels:
        raise UserError(f"{path}: no data rows after the header")
    return FerRows(path, np.stack(pixels), np.asarray(labels, np.int64),
                   np.asarray(splits), np.asarray(lines, np.int64))


def pixels_to_images(pixels: np.ndarray, *, image_size: int, channels: int) -> torch.Tensor:
    """(N, 48*48) uint8 pixel rows as a uint8 (N, channels, image_size, image_size) tensor."""
    faces = pixels.reshape(-1, SIDE, SIDE, 1)
    if image_size != SIDE:
        faces = np.stack([resize(f, image_size) for f in faces]) if len(faces) else \
            np.empty((0, image_size, image_size, 1), np.uint8)
    images = torch.from_numpy(np.ascontiguousarray(faces)).permute(0, 3, 1, 2)
    return images.expand(-1, channels, -1, -1).contiguous()


def _load_csv(path: Path, image_size: int, channels: int) -> FaceSet:
    rows = read_fer_csv(path)
    keys = [f"{path.name}:{line}" for line in rows.lines]
    info = make_info(NAME, CLASSES, keys, image_size=image_size, channels=channels,
                     source=SOURCE, extra={"subjects": "one per image (FER2013 has no ids)"})
    images = pixels_to_images(rows.pixels, image_size=image_size, channels=channels)
    return make_faceset(info, images, rows.labels, keys, keys, official_split=rows.splits)


def _load_folders(root: Path, image_size: int, channels: int, strict: bool) -> FaceSet:
    folder_labels = {name: i for i, name in enumerate(FOLDERS)}
    found = [(path, label, part) for part in ("train", "test")
             for path, label in scan_class_tree(root / part, folder_labels)]
    images, kept, skipped = load_images([p for p, _, _ in found], image_size=image_size,
                                        channels=channels, strict=strict)
    found = [found[i] for i in kept]
    keys = [relative_key(p, root) for p, _, _ in found]
    splits = [next((s for pre, s in FILE_PREFIX.items() if p.name.startswith(pre)), part)
              for p, _, part in found]
    info = make_info(NAME, CLASSES, keys, image_size=image_size, channels=channels,
                     source=SOURCE, extra={"subjects": "one per image (FER2013 has no ids)"})
    return make_faceset(info, images, [label for _, label, _ in found], keys, keys,
                        official_split=splits, skipped=skipped)


def load(root, *, image_size=48, channels=1, strict=False, **options) -> FaceSet:
    """Load FER2013 from a CSV file, a folder holding one, or the image-folder layout."""
    image_size, channels = image_args(NAME, image_size, channels)
    coerce_options(NAME, options, {})
    strict = strict_arg(NAME, strict)
    root = require_root(root, NAME, LAYOUT, allow_file=True,
                        must_contain=CSV_NAMES + ("train",))
    csv_path = find_csv(root)
    if csv_path is not None:
        return _load_csv(csv_path, image_size, channels)
    if not (root / "test").is_dir():
        raise UserError(f"{NAME}: {root} has train/ but no test/; expected {LAYOUT}")
    return _load_folders(root, image_size, channels, strict)
