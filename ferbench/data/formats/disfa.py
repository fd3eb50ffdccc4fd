"""DISFA (Mavadati et al. 2013): 27 adults filmed while watching video clips, 4,845 frames
each, 12 AUs coded per frame with FACS intensities 0-5.

Labels: `ActionUnit_Labels/SN001/SN001_au1.txt` ... one file per AU, lines "frame,intensity"
(frames count from 1). Frames come from extracted images `Images_LeftCamera/SN001/<frame>.jpg`
(numbered as the labels, zero-padding allowed) when that folder exists, else from the left
camera's videos `Videos_LeftCamera/LeftVideoSN001_comp.avi` (OpenCV). Whole frames are resized
(no face crop). Presence = intensity >= 2 (`au_threshold` changes it); the default AU set is
the literature's 8 (`info.extra["default_aus"]`, applied by `ferbench.data.aus`)."""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np
import torch

from ...errors import UserError
from ...progress import progress
from ..aus import presence_from_intensity
from ..faceset import FaceSet
from .common import (
    Option,
    coerce_options,
    decode,
    image_args,
    make_faceset,
    make_info,
    require_root,
    strict_arg,
)
from .frames import FrameTensor, first_bad, numbered_images, read_numbers, skip

NAME = "disfa"
AUS = (1, 2, 4, 5, 6, 9, 12, 15, 17, 20, 25, 26)
DEFAULT_AUS = (1, 2, 4, 6, 9, 12, 25, 26)
THRESHOLD = 2.0
LABELS, IMAGES, VIDEOS = "ActionUnit_Labels", "Images_LeftCamera", "Videos_LeftCamera"
SUBJECT = re.compile(r"^SN\d{3}$")
LAYOUT = ("ActionUnit_Labels/SN001/SN001_au1.txt (lines frame,intensity) with "
          "Images_LeftCamera/SN001/<frame>.jpg or Videos_LeftCamera/LeftVideoSN001_comp.avi")
SOURCE = "Mavadati et al. 2013, DISFA: A Spontaneous Facial Action Intensity Database"
# The subject-exclusive 3-fold split of the AU literature (JAA-Net, Shao et al. 2018;
# ME-GraphAU, Luo et al. 2022): fold i is the test part of split i.
FOLDS = (
    ("SN002", "SN010", "SN001", "SN026", "SN027", "SN032", "SN030", "SN009", "SN016"),
    ("SN013", "SN018", "SN011", "SN028", "SN012", "SN006", "SN031", "SN021", "SN024"),
    ("SN003", "SN029", "SN023", "SN025", "SN008", "SN005", "SN007", "SN017", "SN004"),
)
FOLD_OF = {subject: i for i, fold in enumerate(FOLDS) for subject in fold}
SCHEMA = {"every": Option(1, minimum=1), "first_frame": Option(1, choices=(0, 1))}


def video_path(root: Path, subject: str) -> Path:
    return root / VIDEOS / f"LeftVideo{subject}_comp.avi"


def read_au_file(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(frame numbers, intensities) of one `SN001_au1.txt`; UserError at file:line for a
    frame that is not a whole number >= 1, a repeated frame or an intensity outside 0-5."""
    if not path.is_file():
        raise UserError(f"{path}: AU label file missing; expected {LAYOUT}")
    _, lines, table = read_numbers(path, header=False)
    if table.shape[1] not in (0, 2):
        raise UserError(f"{path}: {table.shape[1]} fields per line; expected frame,intensity")
    if not len(table):
        return np.empty(0, np.int64), np.empty(0, np.float32)
    frames, values = table[:, 0], table[:, 1]
    bad = (frames < 1) | (frames != np.round(frames))
    if bad.any():
        raise UserError(f"{first_bad(path, lines, bad)}: frame must be a whole number >= 1")
    bad = ~np.isin(values, np.arange(6))
    if bad.any():
        raise UserError(f"{first_bad(path, lines, bad)}: unknown intensity "
                        f"{values[bad][0]:g}; expected a FACS intensity 0-5")
    frames = frames.astype(np.int64)
    repeated = np.zeros(len(frames), bool)
    repeated[np.unique(frames, return_index=True)[1]] = True
    if not repeated.all():
        raise UserError(f"{first_bad(path, lines, ~repeated)}: frame listed twice")
    return frames, values.astype(np.float32)


def read_subject(root: Path, subject: str) -> tuple[np.ndarray, np.ndarray]:
    """(sorted frame numbers, intensity (frames, 12) with NaN where an AU file lacks the
    frame) of one subject."""
    columns = [read_au_file(root / LABELS / subject / f"{subject}_au{au}.txt") for au in AUS]
    frames = np.unique(np.concatenate([f for f, _ in columns]))
    intensity = np.full((len(frames), len(AUS)), np.nan, np.float32)
    for j, (f, v) in enumerate(columns):
        intensity[np.searchsorted(frames, f), j] = v
    return frames, intensity


def to_face(bgr: np.ndarray, size: int, channels: int) -> np.ndarray:
    """A BGR video frame as uint8 (size, size, channels), resized with area averaging."""
    code = cv2.COLOR_BGR2GRAY if channels == 1 else cv2.COLOR_BGR2RGB
    small = cv2.resize(cv2.cvtColor(bgr, code), (size, size), interpolation=cv2.INTER_AREA)
    return small.reshape(size, size, channels)


def read_video(path: Path, frames: np.ndarray, out: FrameTensor, size: int,
               channels: int) -> int:
    """Decode the 1-based `frames` (ascending) of the video at `path` into `out`; returns
    how many were decoded (the rest lie past the video's end). UserError naming the file
    when OpenCV cannot open it or decodes no frame at all."""
    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            raise UserError(f"{path}: unreadable video (OpenCV cannot open it)")
        position = done = 0
        for frame in frames.tolist():
            while position < frame - 1 and capture.grab():
                position += 1
            ok, bgr = capture.read() if position == frame - 1 else (False, None)
            if not ok:
                break
            position += 1
            out.add(to_face(bgr, size, channels))
            done += 1
        if position == 0 and len(frames):
            raise UserError(f"{path}: unreadable video (no frame could be decoded)")
        return done
    finally:
        capture.release()


def _image_plan(root: Path, subject: str, frames: np.ndarray, first_frame: int,
                skipped: list, strict: bool) -> tuple[list[Path], np.ndarray]:
    """The image files of the labelled `frames` of one subject, and which rows have one."""
    folder = root / IMAGES / subject
    files = numbered_images(folder)
    if first_frame == 1 and 0 in files:
        raise UserError(f"{folder}: an image is numbered 0, but DISFA's labels count frames "
                        f"from 1; load with first_frame=0 if image 0 holds label frame 1")
    paths, rows = [], []
    for row, frame in enumerate(frames.tolist()):
        path = files.get(frame - 1 + first_frame)
        if path is None:
            skip(skipped, strict, folder / str(frame - 1 + first_frame),
                 f"missing frame (label frame {frame} of {subject})")
            continue
        paths.append(path)
        rows.append(row)
    return paths, np.asarray(rows, np.int64)


def load(root, *, image_size=64, channels=1, strict=False, **options) -> FaceSet:
    """Load DISFA; options `every` (keep every n-th labelled frame) and `first_frame` (the
    number of the image file holding label frame 1: 1, or 0 for 0-based extractions)."""
    image_size, channels = image_args(NAME, image_size, channels)
    opts = coerce_options(NAME, options, SCHEMA)
    strict = strict_arg(NAME, strict)
    root = require_root(root, NAME, LAYOUT, must_contain=(LABELS,))
    subjects = sorted(p.name for p in (root / LABELS).iterdir()
                      if p.is_dir() and SUBJECT.match(p.name))
    if not subjects:
        raise UserError(f"{root / LABELS}: no subject folders SN001 ...; expected {LAYOUT}")
    from_images = (root / IMAGES).is_dir()
    if not from_images and not (root / VIDEOS).is_dir():
        raise UserError(f"{root}: neither {IMAGES}/ nor {VIDEOS}/ found; expected {LAYOUT}")
    labels = {}
    for s in subjects:
        frames, intensity = read_subject(root, s)
        labels[s] = (frames[::opts["every"]], intensity[::opts["every"]])
    skipped: list[tuple[str, str]] = []
    plans = {s: _image_plan(root, s, labels[s][0], opts["first_frame"], skipped, strict)
             for s in subjects} if from_images else {}
    capacity = sum(len(plans[s][0]) if from_images else len(labels[s][0]) for s in subjects)
    out = FrameTensor(capacity, channels, image_size)
    subject_ids, keys, rows = [], [], []
    for s in progress(subjects, description="decoding DISFA frames (subjects)"):
        frames, intensity = labels[s]
        kept = _fill_images(plans[s], out, image_size, channels, skipped, strict) \
            if from_images else _fill_video(root, s, frames, out, image_size, channels,
                                            skipped, strict)
        subject_ids += [s] * len(kept)
        keys += [f"{s}/{frame}" for frame in frames[kept].tolist()]
        rows.append(intensity[kept])
    if not keys:
        raise UserError(f"{root}: no DISFA frame could be loaded ({len(skipped)} skipped); "
                        f"expected {LAYOUT}")
    intensity = torch.from_numpy(np.concatenate(rows))
    info = make_info(NAME, (), subject_ids, image_size=image_size, channels=channels,
                     tasks=("au",), au_codes=AUS, source=SOURCE,
                     extra={"frames_from": "images" if from_images else "video",
                            "every": opts["every"], "default_aus": list(DEFAULT_AUS),
                            "au_threshold": THRESHOLD})
    return make_faceset(info, out.tensor(), np.full(len(keys), -1), subject_ids, keys,
                        au_presence=presence_from_intensity(intensity, THRESHOLD),
                        au_intensity=intensity,
                        official_fold=[FOLD_OF.get(s, -1) for s in subject_ids],
                        skipped=skipped)


def _fill_images(plan: tuple[list[Path], np.ndarray], out: FrameTensor, size: int,
                 channels: int, skipped: list, strict: bool) -> np.ndarray:
    """Decode one subject's image files into `out`; the label rows that were kept."""
    paths, rows = plan
    kept = []
    for path, row in zip(paths, rows.tolist(), strict=True):
        try:
            out.add(decode(path, image_size=size, channels=channels))
        except UserError as exc:
            skip(skipped, strict, path, str(exc).removeprefix(f"{path}: "))
            continue
        kept.append(row)
    return np.asarray(kept, np.int64)


def _fill_video(root: Path, subject: str, frames: np.ndarray, out: FrameTensor, size: int,
                channels: int, skipped: list, strict: bool) -> np.ndarray:
    """Decode one subject's video frames into `out`; the label rows that were kept."""
    path = video_path(root, subject)
    done = read_video(path, frames, out, size, channels) if path.is_file() else 0
    reason = "past the end of the video" if path.is_file() else "video file missing"
    for frame in frames[done:].tolist():
        skip(skipped, strict, path, f"missing frame {frame} ({reason})")
    return np.arange(done)
