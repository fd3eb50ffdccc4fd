"""Extended Cohn-Kanade (CK+, Lucey et al. 2010), in either layout (auto-detected):

- the full release: `cohn-kanade-images/S005/001/S005_001_00000011.png` with `Emotion/`,
  `FACS/` and `Landmarks/` beside it. Labelled sequences only; the last `frames` frames are
  the expression (option `neutral` adds each sequence's first frame as neutral). Faces are
  aligned with the face pipeline, using the release's landmarks instead of a detector.
- CK+48: `<class>/S010_004_00000017.png`, already cropped 48x48 faces (no AUs, no neutral).

AU columns are the fixed vocabulary `AU_CODES` whatever subset is loaded. `pair_keys` is the
subject id (CK+ faces are frontal: same subject = same person and pose).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ...errors import UserError
from ..faceset import FaceSet
from .common import (
    Option,
    at,
    coerce_options,
    image_args,
    image_files,
    load_images,
    make_faceset,
    make_info,
    missing_root_error,
    parse_code,
    relative_key,
    scan_class_tree,
    strict_arg,
)

NAME = "ckplus"
CODES = ("neutral", "anger", "contempt", "disgust", "fear", "happy", "sadness", "surprise")
EXPRESSIONS = CODES[1:]
IMAGES, EMOTION, FACS, LANDMARKS = "cohn-kanade-images", "Emotion", "FACS", "Landmarks"
CK48_NAME = re.compile(r"^(S\d+)_(\d+)_(\d+)$")
LAYOUT = ("cohn-kanade-images/S005/001/S005_001_00000011.png with Emotion/, FACS/, Landmarks/; "
          "or CK+48 <class>/S010_004_00000017.png")
SOURCE = "Lucey et al. 2010, The Extended Cohn-Kanade Dataset (CK+)"
# Every AU coded on CK+'s peak frames (Lucey et al. 2010, Table 1): the fixed AU columns of
# the full release. A code outside it is counted in info.extra["unlisted_au_codes"].
AU_CODES = (1, 2, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 20, 21, 23, 24, 25, 26,
            27, 28, 29, 31, 34, 38, 39, 43)
SCHEMA = {"frames": Option(3, minimum=1), "neutral": Option(False),
          "detector": Option("hog", choices=("hog", "haar"))}


@dataclass
class Frame:
    """One frame to load from the full release."""

    path: Path
    label: str
    subject: str
    aus: dict[int, float]
    landmarks: np.ndarray | None


def read_numbers(path: Path, width: int) -> list[list[float]]:
    """The non-empty lines of a CK+ text file as `width` floats each; UserError at file:line."""
    rows = []
    for line, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not text.strip():
            continue
        try:
            values = [float(v) for v in text.split()]
        except ValueError:
            values = []
        if len(values) != width:
            raise UserError(f"{at(path, line)}: expected {width} number(s), got {text.strip()!r}")
        rows.append(values)
    return rows


def read_emotion(path: Path) -> str:
    """The class name coded in an `*_emotion.txt` file (one float 0-7)."""
    tokens = path.read_text(encoding="utf-8").split()
    if len(tokens) != 1:
        raise UserError(f"{path}: expected one emotion code 0-7, found {len(tokens)} values")
    return parse_code(tokens[0], dict(enumerate(CODES)), path, 1)


def read_facs(path: Path) -> dict[int, float]:
    """AU number -> intensity (CK+ writes 0 for an AU coded without intensity) from an
    `*_facs.txt` file."""
    aus = {}
    for au, intensity in read_numbers(path, 2):
        aus[int(au)] = intensity
    return aus


def read_landmarks(path: Path) -> np.ndarray | None:
    """The 68 (x, y) points of an `*_landmarks.txt` file, None when the file is absent."""
    if not path.is_file():
        return None
    rows = read_numbers(path, 2)
    if len(rows) != 68:
        raise UserError(f"{path}: {len(rows)} landmark lines; expected 68 'x y' lines")
    return np.asarray(rows, np.float32)


def sequence_frames(root: Path, emotion_file: Path, n: int, neutral: bool,
                    skipped: list) -> list[Frame]:
    """The frames to load from one labelled sequence (its last `n`, plus the first)."""
    subject, sequence = emotion_file.parent.parent.name, emotion_file.parent.name
    rel = Path(subject) / sequence
    label = read_emotion(emotion_file)
    if label == "neutral" and not neutral:
        skipped.append((str(emotion_file), "sequence coded neutral (0); load with neutral=true"))
        return []
    frames = image_files(root / IMAGES / rel) if (root / IMAGES / rel).is_dir() else []
    if not frames:
        raise UserError(f"{root / IMAGES / rel}: no images for labelled sequence "
                        f"{emotion_file.name}; expected {LAYOUT}")
    aus: dict[int, float] = {}
    if (root / FACS).is_dir():
        facs = sorted((root / FACS / rel).glob("*_facs.txt"))
        if not facs:
            raise UserError(f"{root / FACS / rel}: no *_facs.txt for labelled sequence "
                            f"{emotion_file.name}")
        aus = read_facs(facs[-1])
    chosen = [(p, label, aus) for p in frames[-n:]]
    if neutral and len(frames) > n:
        chosen.insert(0, (frames[0], "neutral", {}))
    return [Frame(p, lab, subject, a,
                  read_landmarks(root / LANDMARKS / rel / f"{p.stem}_landmarks.txt"))
            for p, lab, a in chosen]


def _load_full(root: Path, opts: dict, image_size: int, channels: int, strict: bool) -> FaceSet:
    from ..face import align_faces

    classes = CODES if opts["neutral"] else EXPRESSIONS
    skipped: list[tuple[str, str]] = []
    frames = [f for e in sorted((root / EMOTION).glob("*/*/*_emotion.txt"))
              for f in sequence_frames(root, e, opts["frames"], opts["neutral"], skipped)]
    if not frames:
        raise UserError(f"{root / EMOTION}: no labelled sequences (*_emotion.txt); "
                        f"expected {LAYOUT}")
    aligned = align_faces([f.path for f in frames], size=image_size, channels=channels,
                          detector=opts["detector"], landmarks=[f.landmarks for f in frames])
    if aligned.failures and strict:
        path, reason = aligned.failures[0]
        raise UserError(f"{path}: {reason}")
    frames = [frames[i] for i in aligned.kept]
    has_facs = (root / FACS).is_dir()
    presence, intensity, unlisted = au_table(frames)
    subjects = [f.subject for f in frames]
    extra = {"layout": "full", "frames": opts["frames"], "neutral": opts["neutral"]}
    if unlisted:
        extra["unlisted_au_codes"] = unlisted
    info = make_info(NAME, classes, subjects, image_size=image_size, channels=channels,
                     tasks=("expression", "au") if has_facs else ("expression",),
                     au_codes=AU_CODES if has_facs else (), source=SOURCE, extra=extra)
    return make_faceset(info, aligned.images, [classes.index(f.label) for f in frames],
                        subjects, [relative_key(f.path, root) for f in frames],
                        au_presence=torch.from_numpy(presence) if has_facs else None,
                        au_intensity=torch.from_numpy(intensity) if has_facs else None,
                        landmarks=aligned.landmarks, pair_keys=subjects,
                        skipped=skipped + aligned.failures)


def au_table(frames: list[Frame]) -> tuple[np.ndarray, np.ndarray, dict[int, int]]:
    """Presence (1 coded, 0 not) and intensity (1-5; NaN when coded without one; 0 when not
    coded) over `AU_CODES`, and how often each code outside `AU_CODES` occurred."""
    presence = np.zeros((len(frames), len(AU_CODES)), np.uint8)
    intensity = np.zeros((len(frames), len(AU_CODES)), np.float32)
    unlisted: dict[int, int] = {}
    for i, f in enumerate(frames):
        for au, value in f.aus.items():
            if au not in AU_CODES:
                unlisted[au] = unlisted.get(au, 0) + 1
                continue
            presence[i, AU_CODES.index(au)] = 1
            intensity[i, AU_CODES.index(au)] = value if value > 0 else np.nan
    return presence, intensity, unlisted


def _load_ck48(root: Path, opts: dict, image_size: int, channels: int, strict: bool) -> FaceSet:
    if opts["neutral"] or opts["frames"] != SCHEMA["frames"].default:
        raise UserError(f"{NAME}: {root} is the CK+48 layout (the last 3 frames of each "
                        f"sequence, no neutral); options frames and neutral need the full "
                        f"release")
    found = scan_class_tree(root, {name: i for i, name in enumerate(EXPRESSIONS)})
    subjects = []
    for path, _ in found:
        match = CK48_NAME.match(path.stem)
        if match is None:
            raise UserError(f"{path}: file name must look like S010_004_00000017.png "
                            f"(subject_sequence_frame)")
        subjects.append(match.group(1))
    images, kept, skipped = load_images([p for p, _ in found], image_size=image_size,
                                        channels=channels, strict=strict)
    subjects = [subjects[i] for i in kept]
    found = [found[i] for i in kept]
    info = make_info(NAME, EXPRESSIONS, subjects, image_size=image_size, channels=channels,
                     source=SOURCE, extra={"layout": "ck48"})
    return make_faceset(info, images, [label for _, label in found], subjects,
                        [relative_key(p, root) for p, _ in found], pair_keys=subjects,
                        skipped=skipped)


def load(root, *, image_size=48, channels=1, strict=False, **options) -> FaceSet:
    """Load CK+ from the full release or the CK+48 crops (options frames, neutral, detector
    apply to the full release)."""
    image_size, channels = image_args(NAME, image_size, channels)
    opts = coerce_options(NAME, options, SCHEMA)
    strict = strict_arg(NAME, strict)
    path = Path(root).expanduser() if root is not None else None
    if path is not None and (path / IMAGES).is_dir() and (path / EMOTION).is_dir():
        return _load_full(path, opts, image_size, channels, strict)
    if path is not None and path.is_dir() and any(
            (path / name).is_dir() for name in EXPRESSIONS):
        return _load_ck48(path, opts, image_size, channels, strict)
    raise missing_root_error(NAME, LAYOUT, path)
