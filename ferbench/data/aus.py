"""Action units across datasets: the dataset-level AU options (`aus`, `au_threshold`,
`aus_from_emotion`), applied to a loaded FaceSet, and the shared AU vocabulary of a
cross-dataset pair.

Conventions: `au_presence` is uint8 with 0 absent, 1 present and 255 unknown (masked out of
losses and metrics); `au_intensity` is float32 0..5 with NaN where unknown. Columns follow
`info.au_codes` (FACS AU numbers)."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import numpy as np
import torch

from ..errors import UserError
from .faceset import FaceSet
from .formats.common import Option, coerce_options

AU_OPTIONS = ("aus", "au_threshold", "aus_from_emotion")
UNKNOWN = 255
SCHEMA = {"au_threshold": Option(2.0, minimum=0.0), "aus_from_emotion": Option(False)}

# Alharbawee & Pugeault, paper 001 (shared/papers/001_57125b386c625362.txt), Table VI:
# "A mapping between emotions and AUs based on rules according to the FACS".
EMOTION_AUS: dict[str, tuple[int, ...]] = {
    "happy": (6, 12, 25),
    "sadness": (1, 4, 15, 17),
    "fear": (1, 2, 5, 15, 25),
    "surprise": (1, 2, 5, 25, 27),
    "anger": (4, 5, 7, 17, 23, 24),
    "disgust": (9, 15, 17, 25),
    "contempt": (12,),
    "neutral": (),
}
DERIVED_AU_CODES = tuple(sorted({au for aus in EMOTION_AUS.values() for au in aus}))


def parse_aus(value: Any, dataset: str) -> tuple[int, ...]:
    """AU codes from a list of ints or a string such as "1,2,4" (spaces and "AU" prefixes
    allowed); UserError for anything else or a repeated code."""
    items = re.split(r"[,\s]+", value.strip()) if isinstance(value, str) else list(value)
    codes = []
    for item in items:
        text = str(item).strip().upper().removeprefix("AU")
        if not text.isdigit():
            raise UserError(f"{dataset}: option aus={value!r} is invalid; expected AU numbers "
                            f"such as 1,2,4")
        codes.append(int(text))
    if not codes or len(set(codes)) != len(codes):
        raise UserError(f"{dataset}: option aus={value!r} is invalid; expected distinct AU "
                        f"numbers such as 1,2,4")
    return tuple(codes)


def _require_aus(faceset: FaceSet, what: str) -> None:
    if faceset.au_presence is None or not faceset.info.au_codes:
        raise UserError(f"{faceset.info.name}: {what} needs AU labels, and this dataset has "
                        f"none; derive them from the expression with aus_from_emotion=true")


def select_aus(faceset: FaceSet, codes: tuple[int, ...]) -> FaceSet:
    """The FaceSet with AU columns `codes`, in that order; UserError naming the dataset's
    AU codes when one is not among them."""
    _require_aus(faceset, "option aus")
    have = faceset.info.au_codes
    missing = [c for c in codes if c not in have]
    if missing:
        raise UserError(f"{faceset.info.name}: option aus asks for AU {missing[0]}, which it "
                        f"does not label; its AU codes are {', '.join(map(str, have))}")
    columns = torch.tensor([have.index(c) for c in codes], dtype=torch.long)
    intensity = None if faceset.au_intensity is None else faceset.au_intensity[:, columns]
    return replace(faceset, info=replace(faceset.info, au_codes=tuple(codes)),
                   au_presence=faceset.au_presence[:, columns], au_intensity=intensity)


def presence_from_intensity(intensity: torch.Tensor, threshold: float) -> torch.Tensor:
    """uint8 presence: 1 where intensity >= threshold, 0 below, 255 where it is NaN."""
    present = (intensity >= threshold).to(torch.uint8)
    return torch.where(intensity.isnan(), torch.full_like(present, UNKNOWN), present)


def threshold_aus(faceset: FaceSet, threshold: float) -> FaceSet:
    """The FaceSet with presence recomputed from intensity at `threshold`."""
    _require_aus(faceset, "option au_threshold")
    if faceset.au_intensity is None:
        raise UserError(f"{faceset.info.name}: option au_threshold needs AU intensities, and "
                        f"this dataset codes AU occurrence only")
    extra = {**faceset.info.extra, "au_threshold": threshold}
    return replace(faceset, info=replace(faceset.info, extra=extra),
                   au_presence=presence_from_intensity(faceset.au_intensity, threshold))


def derive_aus(faceset: FaceSet) -> FaceSet:
    """AU presence derived from each sample's expression label by paper 001's Table VI
    (`EMOTION_AUS`), over the AUs that table uses; samples without a label get 255. The
    result is marked `info.extra["derived_aus"] = True` (runs on it report derived AUs)."""
    names = faceset.info.class_names
    unmapped = [n for n in names if n not in EMOTION_AUS]
    if not names or unmapped:
        raise UserError(f"{faceset.info.name}: option aus_from_emotion needs expression classes "
                        f"among {', '.join(EMOTION_AUS)}; found "
                        f"{', '.join(unmapped) if names else 'no expression labels'}")
    table = np.zeros((len(names) + 1, len(DERIVED_AU_CODES)), np.uint8)
    for k, name in enumerate(names):
        table[k, [DERIVED_AU_CODES.index(au) for au in EMOTION_AUS[name]]] = 1
    table[-1] = UNKNOWN  # row -1: no expression label
    presence = torch.from_numpy(table[faceset.labels.numpy()])
    tasks = faceset.info.tasks + (() if "au" in faceset.info.tasks else ("au",))
    info = replace(faceset.info, au_codes=DERIVED_AU_CODES, tasks=tasks,
                   extra={**faceset.info.extra, "derived_aus": True,
                          "au_source": "derived from expression labels (paper 001, Table VI)"})
    return replace(faceset, info=info, au_presence=presence, au_intensity=None)


def apply_au_options(faceset: FaceSet, options: dict) -> FaceSet:
    """Apply the AU options of `options` (keys of AU_OPTIONS; values may be command-line
    strings): `aus_from_emotion` first, then `au_threshold`, then `aus`. Without `aus`, a
    dataset's conventional AU set (`info.extra["default_aus"]`) is selected, so call this
    for every load, with an empty dict when no AU option was given."""
    name = faceset.info.name
    unknown = sorted(set(options) - set(AU_OPTIONS))
    if unknown:
        raise UserError(f"{name}: unknown AU option {unknown[0]!r}; known: "
                        f"{', '.join(AU_OPTIONS)}")
    given = coerce_options(name, {k: v for k, v in options.items() if k in SCHEMA}, SCHEMA)
    if given["aus_from_emotion"]:
        faceset = derive_aus(faceset)
    if "au_threshold" in options:
        faceset = threshold_aus(faceset, given["au_threshold"])
    if "aus" in options:
        return select_aus(faceset, parse_aus(options["aus"], name))
    default = faceset.info.extra.get("default_aus")
    if default and not faceset.info.extra.get("derived_aus"):
        return select_aus(faceset, tuple(default))
    return faceset


def align_aus(a: FaceSet, b: FaceSet) -> tuple[FaceSet, FaceSet]:
    """Both FaceSets restricted to their shared AU codes, in ascending code order (for
    cross-dataset AU runs); UserError when they share none."""
    _require_aus(a, "a cross-dataset AU run")
    _require_aus(b, "a cross-dataset AU run")
    shared = tuple(sorted(set(a.info.au_codes) & set(b.info.au_codes)))
    if not shared:
        raise UserError(f"cross-dataset {a.info.name} -> {b.info.name}: no shared AU codes "
                        f"({', '.join(map(str, a.info.au_codes))} vs "
                        f"{', '.join(map(str, b.info.au_codes))})")
    return select_aus(a, shared), select_aus(b, shared)
