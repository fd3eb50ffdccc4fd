"""Reading image files into uint8 arrays, with errors that name the file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from ..errors import UserError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".gif", ".pgm", ".ppm"}


def is_image(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES


def read_image(path: Path | str, channels: int = 1) -> np.ndarray:
    """The image at `path` as uint8 (H, W, channels); UserError naming the file if unreadable."""
    try:
        with Image.open(path) as im:
            im = im.convert("L" if channels == 1 else "RGB")
            arr = np.asarray(im, dtype=np.uint8)
    except (OSError, UnidentifiedImageError, ValueError) as exc:
        raise UserError(f"{path}: unreadable image ({exc.__class__.__name__})") from exc
    return arr[:, :, None] if arr.ndim == 2 else arr


def resize(arr: np.ndarray, size: int) -> np.ndarray:
    """Resize a uint8 (H, W, C) array to (size, size, C) with antialiasing."""
    if arr.shape[0] == size and arr.shape[1] == size:
        return arr
    mode = "L" if arr.shape[2] == 1 else "RGB"
    im = Image.fromarray(arr[:, :, 0] if mode == "L" else arr, mode)
    out = np.asarray(im.resize((size, size), Image.BILINEAR, reducing_gap=None), np.uint8)
    return out[:, :, None] if out.ndim == 2 else out
