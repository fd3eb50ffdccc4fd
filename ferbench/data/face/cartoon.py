"""A drawn cartoon face that dlib's detector and landmark predictor accept: fixture pixels
for tests and examples that must not use licensed face images."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFilter


def draw_face(size: int = 160, *, tilt: float = 0.0, background: int = 60,
              skin: int = 190) -> np.ndarray:
    """A uint8 (size, size) grayscale frontal face filling most of the frame, rotated
    `tilt` degrees counter-clockwise about the image centre."""
    image = Image.new("L", (size, size), background)
    draw = ImageDraw.Draw(image)
    s = size / 256  # the drawing is laid out on a 256-pixel grid

    def ellipse(box, fill):
        draw.ellipse([v * s for v in box], fill=fill)

    ellipse((58, 40, 198, 230), skin)  # face
    ellipse((40, 110, 62, 160), skin - 20)  # ears
    ellipse((194, 110, 216, 160), skin - 20)
    ellipse((58, 25, 198, 90), background - 30)  # hair
    for cx in (100, 156):
        draw.line([((cx - 22) * s, 100 * s), (cx * s, 94 * s), ((cx + 20) * s, 99 * s)],
                  fill=50, width=max(1, round(6 * s)))  # brow
        ellipse((cx - 16, 108, cx + 16, 124), 245)  # eye white
        ellipse((cx - 7, 109, cx + 7, 123), 30)  # iris
    draw.polygon([(128 * s, 115 * s), (118 * s, 160 * s), (138 * s, 160 * s)], fill=skin - 25)
    ellipse((116, 155, 140, 166), skin - 60)  # nostrils
    draw.chord([v * s for v in (100, 172, 156, 200)], 0, 180, fill=90)  # mouth
    image = image.filter(ImageFilter.GaussianBlur(2 * s))
    if tilt:
        image = image.rotate(tilt, resample=Image.BILINEAR, fillcolor=background)
    return np.asarray(image, dtype=np.uint8)
