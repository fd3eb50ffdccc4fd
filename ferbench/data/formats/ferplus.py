"""FER+ (Barsoum et al. 2016): `fer2013new.csv` (10 annotators' votes per FER2013 image)
joined row by row with the pixels of `fer2013.csv` in the same folder.

Label modes: `majority` (the official FERPlus rule), `plurality`, `soft` (vote distribution)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ...errors import UserError
from ..faceset import FaceSet
from .common import (
    Option,
    at,
    coerce_options,
    field,
    image_args,
    make_faceset,
    make_info,
    read_csv,
    require_root,
    strict_arg,
)
from .fer2013 import find_csv, pixels_to_images, read_fer_csv

NAME = "ferplus"
VOTE_COLUMNS = ("neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear",
                "contempt", "unknown", "NF")
CLASSES = ("neutral", "happy", "surprise", "sadness", "anger", "disgust", "fear", "contempt")
USAGE = {"Training": "train", "PublicTest": "val", "PrivateTest": "test"}
LABELS_FILE = "fer2013new.csv"
LAYOUT = "fer2013new.csv (Usage,Image name,10 vote columns) beside fer2013.csv"
SOURCE = "Barsoum et al. 2016, Training deep networks for FER with crowd-sourced label distribution"
SCHEMA = {"label_mode": Option("majority", choices=("majority", "plurality", "soft"))}


def read_votes(path: Path) -> tuple[list[str], list[str], np.ndarray]:
    """Image names, splits and votes (N, 10) of every row of fer2013new.csv
    (rows with an empty image name included, as empty names)."""
    columns, rows = read_csv(path, ("Usage", "Image name") + VOTE_COLUMNS)
    vote_cols = [columns[c] for c in VOTE_COLUMNS]
    names, splits, votes = [], [], []
    for line, row in rows:
        usage = field(row, columns["Usage"], path, line)
        if usage not in USAGE:
            raise UserError(f"{at(path, line)}: unknown Usage {usage!r}; expected one of "
                            f"{', '.join(USAGE)}")
        try:
            counts = [int(field(row, c, path, line)) for c in vote_cols]
        except ValueError:
            raise UserError(f"{at(path, line)}: vote counts must be integers in columns "
                            f"{', '.join(VOTE_COLUMNS)}") from None
        if min(counts) < 0:
            raise UserError(f"{at(path, line)}: negative vote count")
        names.append(field(row, columns["Image name"], path, line))
        splits.append(USAGE[usage])
        votes.append(counts)
    return names, splits, np.asarray(votes, np.float64).reshape(-1, 10)


def majority(votes: np.ndarray) -> np.ndarray:
    """The official FERPlus `majority` label per row, or -1 (unknown, non-face, no majority):
    votes of a class with only 1 vote are discarded, then the top class needs more than half
    of the remaining votes."""
    kept = np.where(votes > 1, votes, 0)
    top = kept.argmax(axis=1)
    ok = kept.max(axis=1) > 0.5 * kept.sum(axis=1)
    return np.where(ok & (top < len(CLASSES)), top, -1)


def plurality(votes: np.ndarray) -> np.ndarray:
    """The most-voted of the 10 columns per row (first on ties), or -1 when it is unknown/NF."""
    top = votes.argmax(axis=1)
    return np.where((top < len(CLASSES)) & (votes.max(axis=1) > 0), top, -1)


def load(root, *, image_size=48, channels=1, strict=False, **options) -> FaceSet:
    """Load FER+ with labels from `label_mode` (majority | plurality | soft)."""
    image_size, channels = image_args(NAME, image_size, channels)
    mode = coerce_options(NAME, options, SCHEMA)["label_mode"]
    strict_arg(NAME, strict)  # no image files to skip; validated for a uniform interface
    root = require_root(root, NAME, LAYOUT, must_contain=(LABELS_FILE,))
    pixel_csv = find_csv(root)
    if pixel_csv is None:
        raise UserError(f"{NAME}: {root} has {LABELS_FILE} but no fer2013.csv with the pixels; "
                        f"expected {LAYOUT}")
    names, splits, votes = read_votes(root / LABELS_FILE)
    fer = read_fer_csv(pixel_csv)
    if len(names) != len(fer.pixels):
        raise UserError(f"{root / LABELS_FILE}: {len(names)} rows but {pixel_csv} has "
                        f"{len(fer.pixels)}; the two files must list the same images in order")
    named = np.asarray([bool(n) for n in names])
    labels = (majority if mode == "majority" else plurality)(votes)
    keep = np.flatnonzero(named & (labels >= 0))
    dropped = {"empty image name": int((~named).sum()),
               "unknown, non-face or no majority": int((named & (labels < 0)).sum())}
    keys = [names[i] for i in keep]
    info = make_info(NAME, CLASSES, keys, image_size=image_size, channels=channels,
                     source=SOURCE, extra={"label_mode": mode, "dropped": dropped,
                                           "subjects": "one per image (FER has no ids)"})
    images = pixels_to_images(fer.pixels[keep], image_size=image_size, channels=channels)
    soft = None
    if mode == "soft":
        emotion = votes[keep, :len(CLASSES)]
        soft = torch.as_tensor(emotion / emotion.sum(axis=1, keepdims=True), dtype=torch.float32)
    return make_faceset(info, images, labels[keep], keys, keys,
                        official_split=np.asarray(splits)[keep], soft_labels=soft)
