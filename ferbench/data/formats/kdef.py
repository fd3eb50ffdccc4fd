"""KDEF (Lundqvist, Flykt & Öhman 1998): KDEF/AF01/AF01ANS.JPG, 70 subjects photographed
in two sessions with 7 expressions from 5 angles; faces detected and aligned."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ...errors import UserError
from ..face.loader import FaceFile, aligned_faceset, loader_options, reject
from ..faceset import FaceSet
from .common import Option, image_files, missing_root_error, relative_key, require_root

NAME = "kdef"
LAYOUT = ("KDEF/AF01/AF01ANS.JPG: session A/B, gender F/M, 2-digit id, emotion code, angle "
          "code; the root is KDEF/ or the folder holding it")
SOURCE = "Lundqvist, Flykt & Öhman 1998, The Karolinska Directed Emotional Faces (KDEF)"
CLASSES = ("neutral", "anger", "disgust", "fear", "happy", "sadness", "surprise")
EMOTIONS = {"NE": "neutral", "AN": "anger", "DI": "disgust", "AF": "fear", "HA": "happy",
            "SA": "sadness", "SU": "surprise"}
ANGLES = ("S", "HL", "HR", "FL", "FR")  # straight, half left/right, full left/right
SCHEMA = {"angle": Option("S", choices=(*ANGLES, "all")),
          "session": Option("all", choices=("A", "B", "all"))}
FILE_NAME = re.compile(r"([AB])([FM])(\d\d)([A-Z]{2})([A-Z]{1,2})", re.IGNORECASE)
SESSION_FOLDER = re.compile(r"[AB][FM]\d\d", re.IGNORECASE)


def kdef_folder(root: Path) -> Path:
    """`root/KDEF` when it exists, else `root` itself if it holds session folders (AF01...)."""
    if (root / "KDEF").is_dir():
        return root / "KDEF"
    if any(p.is_dir() and SESSION_FOLDER.fullmatch(p.name) for p in root.iterdir()):
        return root
    raise missing_root_error(NAME, LAYOUT, root)


def load(root: Path | str | None, *, image_size: Any = 48, channels: Any = 1,
         strict: Any = False, detector: Any = "hog", **options: Any) -> FaceSet:
    """KDEF as a FaceSet of aligned faces. Options: angle ("S" straight by default, HL HR FL
    FR, or "all") and session (A, B or "all"). subject = gender + id, e.g. "F01", so both
    sessions of a person stay on one side of a split; pair_keys = "{subject}{session}_{angle}"."""
    opts = loader_options(NAME, options, SCHEMA, image_size=image_size, channels=channels,
                          strict=strict, detector=detector, upsample=0)
    folder = kdef_folder(require_root(root, NAME, LAYOUT))
    files, skipped, parsed = [], [], 0
    for path in image_files(folder, recursive=True):
        match = FILE_NAME.fullmatch(path.stem)
        if match is None:
            reject(path, "file name does not follow AF01ANS.JPG", opts["strict"], skipped)
            continue
        session, gender, number, code, angle = (g.upper() for g in match.groups())
        if code not in EMOTIONS:
            reject(path, f"unknown emotion code {code!r}; expected one of "
                   f"{', '.join(EMOTIONS)}", opts["strict"], skipped)
            continue
        if angle not in ANGLES:
            reject(path, f"unknown angle code {angle!r}; expected one of {', '.join(ANGLES)}",
                   opts["strict"], skipped)
            continue
        parsed += 1
        if opts["angle"] in ("all", angle) and opts["session"] in ("all", session):
            subject = gender + number
            files.append(FaceFile(path, EMOTIONS[code], subject, relative_key(path, folder),
                                  f"{subject}{session}_{angle}"))
    if parsed and not files:
        raise UserError(f"{NAME}: none of the {parsed} images in {folder} has angle="
                        f"{opts['angle']} and session={opts['session']}; choose other "
                        f"-o angle/session")
    return aligned_faceset(NAME, files, CLASSES, opts, root=folder, layout=LAYOUT,
                           source=SOURCE, skipped=skipped,
                           extra={"angle": opts["angle"], "session": opts["session"]})
