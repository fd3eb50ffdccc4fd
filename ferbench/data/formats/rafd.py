"""Radboud Faces Database (Langner et al. 2010): one folder of
Rafd090_01_Caucasian_female_angry_frontal.jpg files (camera angle, person id, ethnicity,
gender, expression, gaze); 67 subjects, 8 expressions, faces detected and aligned."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ...errors import UserError
from ..face.loader import FaceFile, aligned_faceset, loader_options, reject
from ..faceset import FaceSet
from .common import CANONICAL_CLASSES, Option, image_files, relative_key, require_root

NAME = "rafd"
LAYOUT = ("one folder of Rafd090_01_Caucasian_female_angry_frontal.jpg files "
          "(angle, id, ethnicity, gender, expression, gaze)")
SOURCE = "Langner et al. 2010, Radboud Faces Database (RaFD)"
ANGLES = ("000", "045", "090", "135", "180")
GAZES = ("frontal", "left", "right")
EMOTIONS = {"neutral": "neutral", "angry": "anger", "contemptuous": "contempt",
            "disgusted": "disgust", "fearful": "fear", "happy": "happy", "sad": "sadness",
            "surprised": "surprise"}
SCHEMA = {"angle": Option("090", choices=(*ANGLES, "all")),
          "gaze": Option("all", choices=(*GAZES, "all"))}
FILE_NAME = re.compile(r"Rafd(\d{3})_(\d+)_([a-z]+)_([a-z]+)_([a-z]+)_([a-z]+)", re.IGNORECASE)


def load(root: Path | str | None, *, image_size: Any = 48, channels: Any = 1,
         strict: Any = False, detector: Any = "hog", **options: Any) -> FaceSet:
    """RaFD as a FaceSet of aligned faces. Options: angle ("090" frontal camera by default,
    one of 000 045 090 135 180, or "all") and gaze (frontal, left, right or "all").
    subject = person id; pair_keys = "{id}_{angle}_{gaze}" (same person, view and gaze)."""
    if "angle" in options and str(options["angle"]).strip().zfill(3) in ANGLES:
        options = {**options, "angle": str(options["angle"]).strip().zfill(3)}  # 45 -> "045"
    opts = loader_options(NAME, options, SCHEMA, image_size=image_size, channels=channels,
                          strict=strict, detector=detector, upsample=0)
    folder = require_root(root, NAME, LAYOUT)
    files, skipped, parsed = [], [], 0
    for path in image_files(folder):
        match = FILE_NAME.fullmatch(path.stem)
        if match is None:
            reject(path, "file name does not follow Rafd090_01_Caucasian_female_angry_frontal"
                   ".jpg", opts["strict"], skipped)
            continue
        angle, person, _, _, emotion, gaze = match.groups()
        emotion, gaze = emotion.lower(), gaze.lower()
        for value, allowed, what in ((angle, ANGLES, "angle"), (emotion, EMOTIONS, "emotion"),
                                     (gaze, GAZES, "gaze")):
            if value not in allowed:
                reject(path, f"unknown {what} {value!r}; expected one of "
                       f"{', '.join(allowed)}", opts["strict"], skipped)
                break
        else:
            parsed += 1
            if opts["angle"] in ("all", angle) and opts["gaze"] in ("all", gaze):
                files.append(FaceFile(path, EMOTIONS[emotion], person,
                                      relative_key(path, folder), f"{person}_{angle}_{gaze}"))
    if parsed and not files:
        raise UserError(f"{NAME}: none of the {parsed} images in {folder} has angle="
                        f"{opts['angle']} and gaze={opts['gaze']}; choose other -o angle/gaze")
    return aligned_faceset(NAME, files, CANONICAL_CLASSES, opts, root=folder, layout=LAYOUT,
                           source=SOURCE, skipped=skipped,
                           extra={"angle": opts["angle"], "gaze": opts["gaze"]})
