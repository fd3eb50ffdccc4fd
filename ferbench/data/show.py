"""Sample grids of any FaceSet as one PNG: a row of samples per expression class and, where
the dataset has AU labels, a row per AU with the samples that show it most strongly; and
grids of transfer results, one row per triple."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from ..errors import UserError
from .faceset import FaceSet

CELL = 0.9  # inches per thumbnail
TRIPLE_DPI = 96
TRIPLE_CELL = 96  # pixels per image of a triple grid, plus a title band on top
TRIPLE_TITLES = 24


def _pick_classes(fs: FaceSet, per_class: int, rng: np.random.Generator) -> list:
    labels = fs.labels.numpy()
    rows = []
    for k, name in enumerate(fs.info.class_names):
        members = np.flatnonzero(labels == k)
        chosen = rng.choice(members, min(per_class, len(members)), replace=False)
        rows.append((name, np.sort(chosen), [""] * len(chosen)))
    return rows


def _pick_aus(fs: FaceSet, per_class: int, rng: np.random.Generator) -> list:
    source = fs.au_intensity if fs.au_intensity is not None else fs.au_presence
    values = source.float().numpy()
    # random tie-breaking, so presence-only labels show a random sample of positives
    order = np.lexsort((rng.random(values.shape), -values), axis=0)
    rows = []
    for a, code in enumerate(fs.info.au_codes):
        top = [i for i in order[:per_class, a] if values[i, a] > 0]
        captions = [f"{values[i, a]:.1f}" if fs.au_intensity is not None else "" for i in top]
        rows.append((f"AU{code}", np.array(top, dtype=int), captions))
    return rows


def _show(ax, image) -> None:
    """Draw one uint8 image (C, H, W), torch or numpy, grey or RGB."""
    pixels = np.asarray(image)
    if pixels.shape[0] == 1:
        ax.imshow(pixels[0], cmap="gray", vmin=0, vmax=255)
    else:
        ax.imshow(pixels[:3].transpose(1, 2, 0))


def _draw(section, fs: FaceSet, rows: list, columns: int, title: str, inches: float) -> None:
    section.suptitle(title, fontsize=10, y=1 - 0.12 / inches, va="top")
    axes = section.subplots(len(rows), columns, squeeze=False)
    section.subplots_adjust(left=1.0 / (CELL * columns + 1.0), right=0.98, wspace=0.06,
                            hspace=0.25, top=1 - 0.45 / inches, bottom=0.1 / inches)
    for r, (name, index, captions) in enumerate(rows):
        for c in range(columns):
            ax = axes[r, c]
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
            if c < len(index):
                _show(ax, fs.images[int(index[c])])
                ax.set_title(captions[c], fontsize=6, pad=1)
        axes[r, 0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=8)
        if not len(index):
            axes[r, 0].text(0.0, 0.5, "no samples", fontsize=7, va="center")


def save_grid(faceset: FaceSet, path, *, per_class: int = 6, seed: int = 0) -> Path:
    """Write a PNG of `per_class` random samples per class (and the `per_class` strongest
    samples per AU, when the FaceSet has AU labels) to `path`; returns the path."""
    if len(faceset) == 0:
        raise UserError(f"{faceset.info.name}: no samples to show")
    if per_class < 1:
        raise UserError(f"sample grid: per_class must be at least 1, got {per_class}")
    rng = np.random.default_rng(seed)
    sections = [(_pick_classes(faceset, per_class, rng),
                 f"{faceset.info.name}: random samples per expression class")]
    if faceset.info.au_codes and (faceset.au_intensity is not None
                                  or faceset.au_presence is not None):
        sections.append((_pick_aus(faceset, per_class, rng),
                         f"{faceset.info.name}: strongest samples per action unit"))
    heights = [len(rows) + 0.6 for rows, _ in sections]
    fig = Figure(figsize=(CELL * per_class + 1.0, CELL * sum(heights)))
    parts = fig.subfigures(len(sections), 1, height_ratios=heights, squeeze=False)[:, 0]
    for part, (rows, title), height in zip(parts, sections, heights, strict=True):
        _draw(part, faceset, rows, per_class, title, CELL * height)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    return out


def triple_grid(rows: list[tuple], path, titles: tuple[str, ...] = (
        "source", "target", "generated", "truth")) -> Path:
    """Write a PNG with one row per triple, each row a tuple of uint8 images (C, H, W) under
    the column `titles`: TRIPLE_CELL pixels per image plus a TRIPLE_TITLES band; returns
    the path."""
    if not rows or any(len(row) != len(titles) for row in rows):
        raise ValueError(f"triple grid: expected one or more rows of {len(titles)} images "
                         f"({', '.join(titles)})")
    band = TRIPLE_TITLES / (TRIPLE_CELL * len(rows) + TRIPLE_TITLES)
    fig = Figure(figsize=(TRIPLE_CELL * len(titles) / TRIPLE_DPI,
                          (TRIPLE_CELL * len(rows) + TRIPLE_TITLES) / TRIPLE_DPI))
    axes = fig.subplots(len(rows), len(titles), squeeze=False)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01 * (1 - band), top=1 - band,
                        wspace=0.04, hspace=0.04)
    for r, row in enumerate(rows):
        for c, image in enumerate(row):
            axes[r, c].set_axis_off()
            _show(axes[r, c], image)
    for ax, title in zip(axes[0], titles, strict=True):
        ax.set_title(title, fontsize=8, pad=2)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=TRIPLE_DPI)
    return out
