"""Your own data: a `<root>/<class>/<image>` tree, or a CSV manifest (header
`path,label[,subject][,split]`, paths relative to the CSV).

Class names are the sorted folder names (or manifest labels), mapped to ferbench's canonical
names where they match one case-insensitively or through a common synonym (angry -> anger)."""

from __future__ import annotations

from pathlib import Path

from ...errors import UserError
from ..faceset import FaceSet
from .common import (
    at,
    canonical_name,
    class_folders,
    coerce_options,
    field,
    image_args,
    image_files,
    load_images,
    make_faceset,
    make_info,
    read_csv,
    relative_key,
    strict_arg,
)

NAME = "imagefolder"
LAYOUT = "<root>/<class>/<image> or a CSV file with header path,label[,subject][,split]"
SPLITS = ("train", "val", "test")


def class_names(raw: list[str], where: Path) -> tuple[str, ...]:
    """Canonical names for the sorted raw class names; UserError if two map to one name."""
    names = tuple(canonical_name(r) or r for r in raw)
    for name in set(names):
        clash = [r for r, n in zip(raw, names, strict=True) if n == name]
        if len(clash) > 1:
            raise UserError(f"{where}: classes {' and '.join(clash)} both mean {name!r}; "
                            f"merge them")
    return names


def read_manifest(path: Path) -> list[dict]:
    """One dict (path, label, subject, split; the last two may be None) per manifest row."""
    columns, rows = read_csv(path, ("path", "label"))
    entries = []
    for line, row in rows:
        entry = {"line": line, "path": field(row, columns["path"], path, line),
                 "label": field(row, columns["label"], path, line), "subject": None,
                 "split": None}
        if not entry["path"] or not entry["label"]:
            raise UserError(f"{at(path, line)}: empty path or label")
        for optional in ("subject", "split"):
            if optional in columns:
                entry[optional] = field(row, columns[optional], path, line)
        if "split" in columns and entry["split"] not in SPLITS:
            raise UserError(f"{at(path, line)}: unknown split {entry['split']!r}; expected "
                            f"one of {', '.join(SPLITS)}")
        entries.append(entry)
    if not entries:
        raise UserError(f"{path}: no rows after the header")
    return entries


def _from_manifest(path: Path, image_size: int, channels: int, strict: bool) -> FaceSet:
    entries = read_manifest(path)
    raw = sorted({e["label"] for e in entries})
    index = {r: i for i, r in enumerate(raw)}
    images, kept, skipped = load_images([path.parent / e["path"] for e in entries],
                                        image_size=image_size, channels=channels,
                                        strict=strict)
    entries = [entries[i] for i in kept]
    keys = [e["path"] for e in entries]
    subjects = [e["subject"] or e["path"] for e in entries]
    info = make_info(NAME, class_names(raw, path), subjects, image_size=image_size,
                     channels=channels, source=str(path), licence="your own data")
    split = [e["split"] for e in entries] if entries and entries[0]["split"] else None
    return make_faceset(info, images, [index[e["label"]] for e in entries], subjects, keys,
                        official_split=split, skipped=skipped)


def _from_folders(root: Path, image_size: int, channels: int, strict: bool) -> FaceSet:
    folders = class_folders(root)
    if not folders:
        raise UserError(f"{NAME}: {root} has no class folders; expected {LAYOUT}")
    found = [(p, i) for i, folder in enumerate(folders)
             for p in image_files(folder, recursive=True)]
    images, kept, skipped = load_images([p for p, _ in found], image_size=image_size,
                                        channels=channels, strict=strict)
    found = [found[i] for i in kept]
    keys = [relative_key(p, root) for p, _ in found]
    info = make_info(NAME, class_names([f.name for f in folders], root), keys,
                     image_size=image_size, channels=channels, source=str(root),
                     licence="your own data",
                     extra={"subjects": "one per image (folders carry no subject ids)"})
    return make_faceset(info, images, [label for _, label in found], keys, keys,
                        skipped=skipped)


def load(root, *, image_size=48, channels=1, strict=False, **options) -> FaceSet:
    """Load a class-folder tree, or the CSV manifest that `root` names."""
    image_size, channels = image_args(NAME, image_size, channels)
    coerce_options(NAME, options, {})
    if root is None or not Path(root).expanduser().exists():
        raise UserError(f"{NAME}: {root or 'no --data-root given'} not found; expected {LAYOUT}")
    root = Path(root).expanduser()
    strict = strict_arg(NAME, strict)
    if root.is_file():
        if root.suffix.lower() != ".csv":
            raise UserError(f"{NAME}: {root} is a file but not a .csv manifest; expected "
                            f"{LAYOUT}")
        return _from_manifest(root, image_size, channels, strict)
    return _from_folders(root, image_size, channels, strict)
