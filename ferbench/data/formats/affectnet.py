"""AffectNet, manually annotated subset (Mollahosseini et al. 2017): `training.csv` and
`validation.csv` with images under `Manually_Annotated_Images/` (or the root itself).

Faces are cropped to the CSV's face box. validation.csv is the test split (the test set is
unreleased). Codes 8-10 (none, uncertain, non-face) are dropped and counted in
`info.extra["dropped"]`; `classes=7` drops contempt too. Every image is its own subject."""

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
    load_images,
    make_faceset,
    make_info,
    parse_code,
    read_csv,
    require_root,
    strict_arg,
)

NAME = "affectnet"
CLASSES = ("neutral", "happy", "sadness", "surprise", "fear", "disgust", "anger", "contempt")
DROPPED_CODES = {8: "none", 9: "uncertain", 10: "non-face"}
COLUMNS = ("subDirectory_filePath", "face_x", "face_y", "face_width", "face_height",
           "facial_landmarks", "expression", "valence", "arousal")
FILES = {"training.csv": "train", "validation.csv": "test"}
IMAGE_DIR = "Manually_Annotated_Images"
LAYOUT = ("training.csv and validation.csv (subDirectory_filePath,face_x,face_y,face_width,"
          "face_height,facial_landmarks,expression,valence,arousal) with images under "
          "Manually_Annotated_Images/ or the root")
SOURCE = "Mollahosseini, Hasani and Mahoor 2017, AffectNet"
SCHEMA = {"classes": Option(8, choices=(7, 8))}


def parse_landmarks(text: str, path: Path, line: int) -> np.ndarray | None:
    """68 (x, y) points from 'x1;y1;x2;y2;...', None for an empty field."""
    if not text:
        return None
    try:
        values = np.asarray([float(v) for v in text.split(";") if v.strip()], np.float32)
    except ValueError:
        raise UserError(f"{at(path, line)}: facial_landmarks must be ';'-separated "
                        f"numbers") from None
    if values.size != 136:
        raise UserError(f"{at(path, line)}: facial_landmarks has {values.size} values; "
                        f"expected 136 (68 x;y points)")
    return values.reshape(68, 2)


def read_rows(path: Path, split: str, codes: dict, dropped: dict) -> list[tuple]:
    """(relative image path, face box, landmarks, label, split) for each kept CSV row."""
    columns, rows = read_csv(path, COLUMNS)
    c = {name: columns[name] for name in COLUMNS}
    table = {**codes, **{code: None for code in DROPPED_CODES}}
    if len(codes) == 7:
        table[7] = None
    out = []
    for line, row in rows:
        code = field(row, c["expression"], path, line)
        label = parse_code(code, table, path, line)
        if label is None:
            reason = DROPPED_CODES.get(int(float(code)), "contempt (classes=7)")
            dropped[reason] = dropped.get(reason, 0) + 1
            continue
        try:
            box = tuple(int(float(field(row, c[k], path, line)))
                        for k in ("face_x", "face_y", "face_width", "face_height"))
        except ValueError:
            raise UserError(f"{at(path, line)}: face_x, face_y, face_width and face_height "
                            f"must be numbers") from None
        marks = parse_landmarks(field(row, c["facial_landmarks"], path, line), path, line)
        out.append((field(row, c["subDirectory_filePath"], path, line), box, marks, label,
                    split))
    return out


def crop_landmarks(marks: np.ndarray, box: tuple, image_size: int) -> np.ndarray:
    """Landmarks moved from the full image into the resized face-box crop."""
    x, y, w, h = box
    return (marks - np.float32([x, y])) * np.float32([image_size / w, image_size / h])


def load(root, *, image_size=48, channels=1, strict=False, **options) -> FaceSet:
    """Load AffectNet in 8-class (default) or 7-class (`classes=7`, no contempt) mode."""
    image_size, channels = image_args(NAME, image_size, channels)
    n_classes = coerce_options(NAME, options, SCHEMA)["classes"]
    root = require_root(root, NAME, LAYOUT, must_contain=tuple(FILES))
    codes = {i: i for i in range(n_classes)}
    dropped: dict[str, int] = {}
    entries = [e for name, split in FILES.items() if (root / name).is_file()
               for e in read_rows(root / name, split, codes, dropped)]
    base = root / IMAGE_DIR if (root / IMAGE_DIR).is_dir() else root
    images, kept, skipped = load_images([base / e[0] for e in entries], image_size=image_size,
                                        channels=channels, strict=strict_arg(NAME, strict),
                                        boxes=[e[1] for e in entries])
    entries = [entries[i] for i in kept]
    keys = [e[0] for e in entries]
    marks = None
    if entries and all(e[2] is not None for e in entries):
        marks = torch.from_numpy(np.stack([crop_landmarks(e[2], e[1], image_size)
                                           for e in entries]))
    info = make_info(NAME, CLASSES[:n_classes], keys, image_size=image_size, channels=channels,
                     source=SOURCE, extra={"dropped": dropped,
                                           "subjects": "one per image (AffectNet has no ids)"})
    return make_faceset(info, images, [e[3] for e in entries], keys, keys,
                        official_split=[e[4] for e in entries], landmarks=marks,
                        skipped=skipped)
