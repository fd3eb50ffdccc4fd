"""What the loaders of uncropped datasets (JAFFE, RaFD, KDEF) share: option coercion,
skip-or-raise for bad files, and the FaceSet built from the files' aligned faces."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...errors import UserError
from ..faceset import FaceSet
from ..formats.common import (
    Option,
    coerce_options,
    image_args,
    make_faceset,
    make_info,
    missing_root_error,
)
from .detect import DETECTORS
from .pipeline import align_faces


@dataclass(frozen=True)
class FaceFile:
    """One image file whose name has been parsed."""

    path: Path
    label: str  # canonical class name
    subject: str
    key: str  # path relative to the dataset root
    pair_key: str | None = None


def loader_options(dataset: str, options: Mapping[str, Any], schema: Mapping[str, Option], *,
                   image_size: Any, channels: Any, strict: Any, detector: Any,
                   upsample: int) -> dict[str, Any]:
    """The loader's arguments and `options` coerced and validated (values may be strings):
    the dataset's own `schema` plus the face options margin (float >= 0), upsample
    (default `upsample`) and cache. UserError naming a bad or unknown option."""
    face = {"margin": Option("0.25"), "upsample": Option(upsample, minimum=0),
            "cache": Option(True)}
    out = coerce_options(dataset, options, {**schema, **face})
    out.update(coerce_options(dataset, {"strict": strict, "detector": detector},
                              {"strict": Option(False),
                               "detector": Option("hog", choices=DETECTORS)}))
    out["image_size"], out["channels"] = image_args(dataset, image_size, channels)
    try:
        out["margin"] = float(out["margin"])
        if not out["margin"] >= 0:
            raise ValueError
    except ValueError:
        raise UserError(f"{dataset}: option margin={options.get('margin')!r} is invalid; "
                        f"expected a number >= 0 (fraction of the face box added per side)"
                        ) from None
    return out


def reject(path: Path, reason: str, strict: bool, skipped: list[tuple[str, str]]) -> None:
    """Record a file that cannot be used in `skipped`, or raise UserError when `strict`."""
    if strict:
        raise UserError(f"{path}: {reason}")
    skipped.append((str(path), reason))


def aligned_faceset(dataset: str, files: Sequence[FaceFile], class_names: Sequence[str],
                    opts: Mapping[str, Any], *, root: Path, layout: str, source: str,
                    skipped: list[tuple[str, str]], extra: Mapping[str, Any]) -> FaceSet:
    """Detect and align every file's face into a FaceSet with landmarks and pair keys.
    Files without a face join `skipped`; with strict the first one raises UserError."""
    if not files:
        raise missing_root_error(dataset, layout, root)
    faces = align_faces([f.path for f in files], size=opts["image_size"],
                        channels=opts["channels"], detector=opts["detector"],
                        margin=opts["margin"], upsample=opts["upsample"], cache=opts["cache"])
    if faces.failures and (opts["strict"] or not len(faces.kept)):
        path, reason = faces.failures[0]
        more = len(faces.failures) - 1
        raise UserError(f"{path}: {reason}" + (f" (and {more} more of {len(files)} "
                                               f"{dataset} images)" if more else ""))
    kept = [files[i] for i in faces.kept]
    subjects = [f.subject for f in kept]
    info = make_info(dataset, class_names, subjects, image_size=opts["image_size"],
                     channels=opts["channels"], source=source,
                     extra={"root": str(root), "detector": opts["detector"],
                            "margin": opts["margin"], "upsample": opts["upsample"], **extra})
    pair_keys = [f.pair_key for f in kept] if any(f.pair_key for f in kept) else None
    return make_faceset(info, faces.images, [class_names.index(f.label) for f in kept],
                        subjects, [f.key for f in kept], landmarks=faces.landmarks,
                        pair_keys=pair_keys, skipped=skipped + faces.failures)
