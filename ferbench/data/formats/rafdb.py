"""RAF-DB basic emotions (Li et al. 2017): `EmoLabel/list_patition_label.txt` (sic) with
`Image/aligned/train_00001_aligned.jpg` or `Image/original/train_00001.jpg`.

The official split comes from the file-name prefix (train_/test_); RAF-DB has no subject ids,
so every image is its own subject."""

from __future__ import annotations

from pathlib import Path

from ...errors import UserError
from ..faceset import FaceSet
from .common import (
    Option,
    at,
    coerce_options,
    image_args,
    load_images,
    make_faceset,
    make_info,
    parse_code,
    require_root,
    strict_arg,
)

NAME = "rafdb"
CLASSES = ("surprise", "fear", "disgust", "happy", "sadness", "anger", "neutral")
LABELS_FILE = "EmoLabel/list_patition_label.txt"
LAYOUT = ("EmoLabel/list_patition_label.txt (lines 'train_00001.jpg 5') with "
          "Image/aligned/train_00001_aligned.jpg or Image/original/train_00001.jpg")
SOURCE = "Li, Deng and Du 2017, Reliable crowdsourcing and deep locality-preserving learning"
SCHEMA = {"images": Option("aligned", choices=("aligned", "original"))}
SPLITS = {"train": "train", "test": "test"}


def read_labels(path: Path) -> list[tuple[str, int, str]]:
    """(image name, label index, split) per line of the partition/label file."""
    codes = {i + 1: i for i in range(len(CLASSES))}
    entries = []
    with open(path, encoding="utf-8") as handle:
        for line, text in enumerate(handle, start=1):
            parts = text.split()
            if not parts:
                continue
            if len(parts) != 2:
                raise UserError(f"{at(path, line)}: expected '<name>.jpg <label 1-7>', got "
                                f"{text.strip()!r}")
            name, code = parts
            split = SPLITS.get(name.split("_", 1)[0])
            if split is None:
                raise UserError(f"{at(path, line)}: image name {name!r} must start with "
                                f"train_ or test_")
            entries.append((name, parse_code(code, codes, path, line), split))
    return entries


def image_path(root: Path, name: str, images: str) -> Path:
    """Where the aligned or original image of `name` (e.g. train_00001.jpg) lies."""
    if images == "original":
        return root / "Image" / "original" / name
    stem, dot, suffix = name.rpartition(".")
    return root / "Image" / "aligned" / f"{stem}_aligned{dot}{suffix}"


def load(root, *, image_size=48, channels=1, strict=False, **options) -> FaceSet:
    """Load RAF-DB basic emotions (option images = aligned | original)."""
    image_size, channels = image_args(NAME, image_size, channels)
    images_kind = coerce_options(NAME, options, SCHEMA)["images"]
    root = require_root(root, NAME, LAYOUT, must_contain=(LABELS_FILE,))
    folder = root / "Image" / images_kind
    if not folder.is_dir():
        raise UserError(f"{NAME}: {folder} not found; expected {LAYOUT}")
    entries = read_labels(root / LABELS_FILE)
    paths = [image_path(root, name, images_kind) for name, _, _ in entries]
    images, kept, skipped = load_images(paths, image_size=image_size, channels=channels,
                                        strict=strict_arg(NAME, strict))
    entries = [entries[i] for i in kept]
    keys = [name for name, _, _ in entries]
    info = make_info(NAME, CLASSES, keys, image_size=image_size, channels=channels,
                     source=SOURCE, extra={"images": images_kind,
                                           "subjects": "one per image (RAF-DB has no ids)"})
    return make_faceset(info, images, [label for _, label, _ in entries], keys, keys,
                        official_split=[split for _, _, split in entries], skipped=skipped)
