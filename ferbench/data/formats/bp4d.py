"""BP4D-Spontaneous (Zhang et al. 2014): 41 young adults (F001-F023, M001-M018) in 8 tasks
(T1-T8) each, AU occurrence coded per frame (FERA 2015 release).

Labels: `AUCoding/AU_OCC/F001_T1.csv`, a header row naming the frame column ("Frame", or "0"
in some copies) and then one column per AU number, then rows of 0 (absent), 1 (present) or
9 (not coded, loaded as 255 = unknown). Frames: `Sequences/F001/T1/<frame>.jpg`, numbered as
in the CSV (zero-padding allowed). Whole frames are resized (no face crop). The default AU
set is the literature's 12 (`info.extra["default_aus"]`, applied by `ferbench.data.aus`)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import torch

from ...errors import UserError
from ...progress import progress
from ..aus import UNKNOWN
from ..faceset import FaceSet
from .common import (
    Option,
    at,
    coerce_options,
    decode,
    image_args,
    make_faceset,
    make_info,
    require_root,
    strict_arg,
)
from .frames import FrameTensor, first_bad, numbered_images, read_numbers, skip

NAME = "bp4d"
DEFAULT_AUS = (1, 2, 4, 6, 7, 10, 12, 14, 15, 17, 23, 24)
OCCURRENCE, SEQUENCES = Path("AUCoding", "AU_OCC"), "Sequences"
CSV_NAME = re.compile(r"^([FM]\d{3})_(T\d+)\.csv$")
FRAME_COLUMNS = ("frame", "0")
LAYOUT = ("AUCoding/AU_OCC/F001_T1.csv (header Frame,1,2,4,...; rows of 0/1/9) with "
          "Sequences/F001/T1/<frame>.jpg")
SOURCE = "Zhang et al. 2014, BP4D-Spontaneous"
# The subject-exclusive 3-fold split of DRML (Zhao et al. 2016) and JAA-Net (Shao et al.
# 2018): JAA-Net's data/list/BP4D_part{1,2,3}_path.txt; fold i is the test part of split i.
FOLDS = (
    ("F001", "M007", "F018", "F008", "F002", "M004", "F010", "F009", "M012", "M001", "F016",
     "M014", "F023", "M008"),
    ("M011", "F003", "M010", "M002", "F005", "F022", "M018", "M017", "F013", "M016", "F020",
     "F011", "M013", "M005"),
    ("F007", "F015", "F006", "F019", "M006", "M009", "F012", "M003", "F004", "F021", "F017",
     "M015", "F014"),
)
FOLD_OF = {subject: i for i, fold in enumerate(FOLDS) for subject in fold}
SCHEMA = {"every": Option(1, minimum=1)}


def read_occurrence(path: Path) -> tuple[tuple[int, ...], np.ndarray, np.ndarray]:
    """(AU codes of the header, frame numbers, presence uint8 (frames, AUs) with 9 -> 255)
    of one AU_OCC CSV; UserError at file:line for a bad header, frame or code."""
    names, lines, table = read_numbers(path, header=True)
    if len(names) < 2 or names[0].lower() not in FRAME_COLUMNS or \
            not all(n.isdigit() for n in names[1:]):
        raise UserError(f"{at(path, 1)}: header {','.join(names)!r} must name the frame column "
                        f"and then AU numbers, e.g. Frame,1,2,4")
    codes = tuple(int(n) for n in names[1:])
    if len(set(codes)) != len(codes):
        raise UserError(f"{at(path, 1)}: an AU column appears twice")
    if not len(table):
        return codes, np.empty(0, np.int64), np.empty((0, len(codes)), np.uint8)
    frames, values = table[:, 0], table[:, 1:]
    bad = (frames < 0) | (frames != np.round(frames))
    if bad.any():
        raise UserError(f"{first_bad(path, lines, bad)}: frame must be a whole number")
    bad = ~np.isin(values, (0, 1, 9))
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise UserError(f"{at(path, int(lines[row]))}: unknown occurrence code "
                        f"{values[row, col]:g} for AU {codes[col]}; expected 0, 1 or 9 "
                        f"(not coded)")
    presence = np.where(values == 9, UNKNOWN, values).astype(np.uint8)
    return codes, frames.astype(np.int64), presence


def load(root, *, image_size=64, channels=1, strict=False, **options) -> FaceSet:
    """Load BP4D; option `every` keeps every n-th coded frame of each sequence."""
    image_size, channels = image_args(NAME, image_size, channels)
    every = coerce_options(NAME, options, SCHEMA)["every"]
    strict = strict_arg(NAME, strict)
    root = require_root(root, NAME, LAYOUT, must_contain=(str(OCCURRENCE),))
    sequences = []
    for path in sorted((root / OCCURRENCE).glob("*.csv")):
        match = CSV_NAME.match(path.name)
        if match is None:
            raise UserError(f"{path}: file name must look like F001_T1.csv (subject_task)")
        codes, frames, presence = read_occurrence(path)
        sequences.append((match.group(1), match.group(2), codes, frames[::every],
                          presence[::every]))
    if not sequences:
        raise UserError(f"{root / OCCURRENCE}: no F001_T1.csv files; expected {LAYOUT}")
    au_codes = tuple(sorted({c for s in sequences for c in s[2]}))
    skipped: list[tuple[str, str]] = []
    plans = [_plan(root, seq, skipped, strict) for seq in sequences]
    out = FrameTensor(sum(len(paths) for paths, _ in plans), channels, image_size)
    subjects, keys, blocks = [], [], []
    for (subject, task, codes, frames, presence), (paths, rows) in progress(
            zip(sequences, plans, strict=True), len(sequences), "decoding BP4D frames (sequences)"):
        kept = []
        for path, row in zip(paths, rows, strict=True):
            try:
                out.add(decode(path, image_size=image_size, channels=channels))
            except UserError as exc:
                skip(skipped, strict, path, str(exc).removeprefix(f"{path}: "))
                continue
            kept.append(row)
        block = np.full((len(kept), len(au_codes)), UNKNOWN, np.uint8)
        block[:, [au_codes.index(c) for c in codes]] = presence[kept]
        blocks.append(block)
        subjects += [subject] * len(kept)
        keys += [f"{subject}/{task}/{frame}" for frame in frames[kept].tolist()]
    if not keys:
        raise UserError(f"{root}: no BP4D frame could be loaded ({len(skipped)} skipped); "
                        f"expected {LAYOUT}")
    info = make_info(NAME, (), subjects, image_size=image_size, channels=channels,
                     tasks=("au",), au_codes=au_codes, source=SOURCE,
                     extra={"every": every,
                            "default_aus": [c for c in DEFAULT_AUS if c in au_codes]})
    return make_faceset(info, out.tensor(), np.full(len(keys), -1), subjects, keys,
                        au_presence=torch.from_numpy(np.concatenate(blocks)),
                        official_fold=[FOLD_OF.get(s, -1) for s in subjects],
                        skipped=skipped)


def _plan(root: Path, sequence: tuple, skipped: list, strict: bool) -> tuple[list[Path],
                                                                              list[int]]:
    """The frame files of one coded sequence and the CSV rows that have one (missing frames
    are skipped, or raise with `strict`)."""
    subject, task, _, frames, _ = sequence
    folder = root / SEQUENCES / subject / task
    files = numbered_images(folder)
    paths, rows = [], []
    for row, frame in enumerate(frames.tolist()):
        if frame in files:
            paths.append(files[frame])
            rows.append(row)
        else:
            skip(skipped, strict, folder / str(frame), f"missing frame ({subject} {task} "
                 f"frame {frame})")
    return paths, rows
