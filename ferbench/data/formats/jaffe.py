"""JAFFE (Lyons, Kamachi & Gyoba 1998): a flat folder of KA.AN1.39.tiff files, 10 Japanese
female subjects posing 7 expressions; faces are detected and aligned by ferbench."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..face.loader import FaceFile, aligned_faceset, loader_options, reject
from ..faceset import FaceSet
from .common import image_files, relative_key, require_root

NAME = "jaffe"
LAYOUT = "a flat folder of KA.AN1.39.tiff files (subject.emotion+index.number.tiff)"
SOURCE = ("Lyons, Kamachi & Gyoba 1998, The Japanese Female Facial Expression (JAFFE) "
          "database")
CLASSES = ("neutral", "anger", "disgust", "fear", "happy", "sadness", "surprise")
EMOTIONS = {"NE": "neutral", "AN": "anger", "DI": "disgust", "FE": "fear", "HA": "happy",
            "SA": "sadness", "SU": "surprise"}
FILE_NAME = re.compile(r"([A-Z]{2})\.([A-Z]{2})(\d+)\.(\d+)", re.IGNORECASE)


def load(root: Path | str | None, *, image_size: Any = 48, channels: Any = 1,
         strict: Any = False, detector: Any = "hog", **options: Any) -> FaceSet:
    """JAFFE as a FaceSet of aligned faces; subject = the two-letter initials."""
    opts = loader_options(NAME, options, {}, image_size=image_size, channels=channels,
                          strict=strict, detector=detector, upsample=1)
    folder = require_root(root, NAME, LAYOUT)
    files, skipped = [], []
    for path in image_files(folder):
        match = FILE_NAME.fullmatch(path.stem)
        if match is None:
            reject(path, "file name does not follow KA.AN1.39.tiff", opts["strict"], skipped)
            continue
        subject, code = match.group(1).upper(), match.group(2).upper()
        if code not in EMOTIONS:
            reject(path, f"unknown emotion code {code!r}; expected one of "
                   f"{', '.join(EMOTIONS)}", opts["strict"], skipped)
            continue
        files.append(FaceFile(path, EMOTIONS[code], subject, relative_key(path, folder)))
    return aligned_faceset(NAME, files, CLASSES, opts, root=folder, layout=LAYOUT,
                           source=SOURCE, skipped=skipped, extra={})
