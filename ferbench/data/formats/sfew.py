"""SFEW 2.0 (Dhall et al. 2011): movie stills in `Train/<class>/*` and `Val/<class>/*`.

Val is the test split (the challenge's test labels are unreleased). Frames are aligned with
the face pipeline (`align=true`) or only resized (`align=false`). Actors are not identified:
every image is its own subject."""

from __future__ import annotations

from pathlib import Path

from ...errors import UserError
from ..faceset import FaceSet
from .common import (
    Option,
    coerce_options,
    image_args,
    load_images,
    make_faceset,
    make_info,
    relative_key,
    require_root,
    scan_class_tree,
    strict_arg,
)

NAME = "sfew"
CLASSES = ("anger", "disgust", "fear", "happy", "neutral", "sadness", "surprise")
FOLDERS = ("Angry", "Disgust", "Fear", "Happy", "Neutral", "Sad", "Surprise")
PARTS = {"Train": "train", "Val": "test"}
LAYOUT = "Train/<class>/*.png and Val/<class>/*.png (Angry, Disgust, Fear, Happy, Neutral, Sad, " \
         "Surprise)"
SOURCE = "Dhall et al. 2011, Static Facial Expressions in Tough Conditions (SFEW)"
SCHEMA = {"align": Option(True), "detector": Option("hog", choices=("hog", "haar"))}


def load(root, *, image_size=48, channels=1, strict=False, **options) -> FaceSet:
    """Load SFEW 2.0 (options align = true | false, detector = hog | haar)."""
    image_size, channels = image_args(NAME, image_size, channels)
    opts = coerce_options(NAME, options, SCHEMA)
    strict = strict_arg(NAME, strict)
    root = require_root(root, NAME, LAYOUT, must_contain=tuple(PARTS))
    folder_labels = {name: i for i, name in enumerate(FOLDERS)}
    found = [(path, label, split) for part, split in PARTS.items() if (root / part).is_dir()
             for path, label in scan_class_tree(root / part, folder_labels)]
    paths: list[Path] = [p for p, _, _ in found]
    landmarks = None
    if opts["align"]:
        from ..face import align_faces

        aligned = align_faces(paths, size=image_size, channels=channels,
                              detector=opts["detector"])
        if aligned.failures and strict:
            path, reason = aligned.failures[0]
            raise UserError(f"{path}: {reason}")
        images, kept, skipped = aligned.images, aligned.kept, aligned.failures
        landmarks = aligned.landmarks
    else:
        images, kept, skipped = load_images(paths, image_size=image_size, channels=channels,
                                            strict=strict)
    found = [found[i] for i in kept]
    keys = [relative_key(p, root) for p, _, _ in found]
    info = make_info(NAME, CLASSES, keys, image_size=image_size, channels=channels,
                     source=SOURCE, extra={"align": opts["align"],
                                           "subjects": "one per image (actors not identified)"})
    return make_faceset(info, images, [label for _, label, _ in found], keys, keys,
                        official_split=[split for _, _, split in found], landmarks=landmarks,
                        skipped=skipped)
