"""Drawing faces: part colours, PIL rasterisation on a 2x canvas, then lighting, blur and
sensor noise applied to the whole batch."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw

from . import actions, parts
from .actions import COLUMN
from .identity import Identities
from .nuisance import Nuisance, framing, project

SUPERSAMPLE = 2
DARK = np.array([24.0, 16.0, 16.0])
GREY = np.array([0.299, 0.587, 0.114])

# (part, kind, colour key, stroke width in face units), drawn in this order. Kinds:
# "poly" fills a polygon, "line" strokes a polyline, "pairs" strokes separate segments.
PROGRAM = (
    ("clothes", "poly", "clothes", 0), ("hair_back", "poly", "hair", 0),
    ("neck", "poly", "neck", 0), ("ear_l", "poly", "ear", 0), ("ear_r", "poly", "ear", 0),
    ("rim", "poly", "rim", 0), ("face", "poly", "skin", 0),
    ("cheek_l", "poly", "cheek", 0), ("cheek_r", "poly", "cheek", 0),
    ("hair_front", "poly", "hair", 0),
    ("socket_l", "poly", "socket", 0), ("socket_r", "poly", "socket", 0),
    ("forehead_0", "line", "forehead", 0.022), ("forehead_1", "line", "forehead", 0.022),
    ("glabella", "pairs", "glabella", 0.025), ("nose_wrinkle", "pairs", "nose_wrinkle", 0.022),
    ("brow_l", "poly", "brow", 0), ("brow_r", "poly", "brow", 0),
    ("sclera_l", "poly", "sclera", 0), ("sclera_r", "poly", "sclera", 0),
    ("iris_l", "poly", "iris", 0), ("iris_r", "poly", "iris", 0),
    ("pupil_l", "poly", "pupil", 0), ("pupil_r", "poly", "pupil", 0),
    ("lid_l", "line", "lid", 0.03), ("lid_r", "line", "lid", 0.03),
    ("lower_lid_l", "line", "lower_lid", 0.015), ("lower_lid_r", "line", "lower_lid", 0.015),
    ("crease_l", "line", "crease", 0.018), ("crease_r", "line", "crease", 0.018),
    ("bag_l", "line", "bag", 0.025), ("bag_r", "line", "bag", 0.025),
    ("crow_l", "pairs", "crow", 0.02), ("crow_r", "pairs", "crow", 0.02),
    ("bridge", "line", "bridge", 0.04), ("nose", "line", "nose", 0.035),
    ("nostril_l", "poly", "nostril", 0), ("nostril_r", "poly", "nostril", 0),
    ("fold_l", "line", "fold", 0.03), ("fold_r", "line", "fold", 0.03),
    ("cavity", "poly", "cavity", 0), ("teeth_up", "poly", "teeth", 0),
    ("teeth_low", "poly", "teeth_low", 0),
    ("lip_up", "poly", "lip_up", 0), ("lip_low", "poly", "lip_low", 0),
    ("lip_line", "line", "lip_line", 0.02), ("chin", "line", "chin", 0.03),
    ("dimple_l", "line", "dimple_l", 0.025), ("dimple_r", "line", "dimple_r", 0.025),
)
_PARTS = tuple(dict.fromkeys(op[0] for op in PROGRAM))


def _mix(a: np.ndarray, b: np.ndarray, t) -> np.ndarray:
    t = np.asarray(t, dtype=float)
    return a + (b - a) * (t[:, None] if t.ndim == 1 else t)


def palette(ident: Identities, aus: np.ndarray, lm: np.ndarray) -> tuple[dict, dict]:
    """RGB colour (N, 3) and visibility (N,) of each colour key of PROGRAM."""
    c, p = ident.colors, ident.p
    skin, hair, lips = c["skin"], c["hair"], c["lips"]
    au = {code: aus[:, COLUMN[code]] / 5 for code in actions.AU_CODES}
    gap = (lm[:, [67, 66, 65], 1] - lm[:, [61, 62, 63], 1]).max(1)
    wrinkle = {
        "forehead": 0.5 * np.maximum(au[1], au[2]),
        "glabella": 0.6 * au[4] + 0.2 * au[9],
        "nose_wrinkle": 0.6 * au[9],
        "bag": 0.08 + 0.2 * p["folds"] + 0.3 * au[6] + 0.15 * au[7],
        "crow": 0.4 * au[6],
        "fold": 0.06 + 0.2 * p["folds"] + 0.45 * np.maximum.reduce([au[12], au[10], au[9],
                                                                    0.6 * au[6], 0.5 * au[20]]),
        "chin": 0.06 + 0.4 * au[17],
        "dimple_l": 0.45 * au[14], "dimple_r": 0.45 * au[14],
    }
    col = {k: skin * (1 - v[:, None]) for k, v in wrinkle.items()}
    col.update(
        clothes=_mix(c["bg"], DARK, 0.5 + 0.3 * p["bg_tint"] ** 2), hair=hair,
        neck=skin * 0.68, ear=skin * 0.84, rim=skin * 0.88, skin=skin,
        cheek=np.minimum(skin * (1.01 + 0.04 * au[6] + 0.02 * au[12])[:, None], 255),
        socket=skin * (0.93 - 0.08 * au[4])[:, None], brow=_mix(skin, hair * 0.8,
                                                             p["brow_density"]),
        sclera=_mix(skin, np.array([236.0, 232.0, 226.0]), 0.7), iris=c["iris"],
        pupil=np.broadcast_to(DARK * 0.6, skin.shape), lid=_mix(skin, DARK, 0.8),
        lower_lid=_mix(skin, DARK, 0.35), crease=skin * 0.8, bridge=skin * 0.9,
        nose=skin * 0.62, nostril=_mix(skin, DARK, 0.75),
        cavity=np.broadcast_to(np.array([40.0, 18.0, 20.0]), skin.shape),
        teeth=np.broadcast_to(np.array([214.0, 208.0, 196.0]), skin.shape),
        teeth_low=np.broadcast_to(np.array([180.0, 172.0, 160.0]), skin.shape),
        lip_up=lips * 0.9, lip_low=lips, lip_line=_mix(lips, DARK, 0.65))
    side = np.ones(len(aus), bool)
    visible = {k: v > 0.03 for k, v in wrinkle.items()}
    visible.update(hair=p["bald"] < 0.5, teeth=gap > 0.012, teeth_low=gap > 0.05)
    return col, {k: visible.get(k, side) for k in col}


def _blur(x: torch.Tensor, sigma: np.ndarray) -> torch.Tensor:
    """Gaussian blur of images (N, C, H, W) float, one sigma (pixels) per image."""
    n, ch = x.shape[:2]
    radius = max(1, int(np.ceil(3 * sigma.max())))
    t = torch.arange(-radius, radius + 1, dtype=x.dtype)
    s = torch.as_tensor(np.maximum(sigma, 1e-3), dtype=x.dtype)[:, None]
    k = torch.exp(-0.5 * (t[None] / s) ** 2)
    k = (k / k.sum(1, keepdim=True)).repeat_interleave(ch, 0)
    flat = F.pad(x.reshape(1, n * ch, *x.shape[2:]), (radius,) * 4, mode="replicate")
    flat = F.conv2d(flat, k[:, None, None, :], groups=n * ch)
    flat = F.conv2d(flat, k[:, None, :, None], groups=n * ch)
    return flat.reshape(x.shape)


def _rasterise(xy: np.ndarray, spans: dict, rgb: dict, visible: dict, unit: np.ndarray,
               bg: np.ndarray, side: int, channels: int) -> np.ndarray:
    """Draw PROGRAM for each face on a `side`-pixel canvas: uint8 (N, side, side, channels)."""
    n = len(xy)
    mode = "L" if channels == 1 else "RGB"
    keys = [op[2] for op in PROGRAM]
    colour = np.stack([rgb[k] for k in keys], 1)
    if channels == 1:
        colour = colour @ GREY
        bg = bg @ GREY
    colour = np.clip(np.rint(colour), 0, 255).astype(int)
    bg = np.clip(np.rint(bg), 0, 255).astype(int)
    show = np.stack([visible[k] for k in keys], 1)
    widths = np.maximum(1, np.rint(np.array([op[3] for op in PROGRAM]) * unit[:, None])).astype(
        int)
    out = np.empty((n, side, side, channels), np.uint8)
    ops = [(spans[name][0] * 2, spans[name][1] * 2, kind) for name, kind, _, _ in PROGRAM]
    for i in range(n):
        fill = colour[i].tolist() if channels == 1 else [tuple(v) for v in colour[i].tolist()]
        im = Image.new(mode, (side, side), bg[i].item() if channels == 1 else tuple(bg[i]))
        draw = ImageDraw.Draw(im)
        flat, width, on = xy[i].ravel().tolist(), widths[i].tolist(), show[i].tolist()
        for j, (a, b, kind) in enumerate(ops):
            if not on[j]:
                continue
            if kind == "poly":
                draw.polygon(flat[a:b], fill=fill[j])
            elif kind == "line":
                draw.line(flat[a:b], fill=fill[j], width=width[j])
            else:
                for s in range(a, b, 4):
                    draw.line(flat[s:s + 4], fill=fill[j], width=width[j])
        out[i] = np.asarray(im).reshape(side, side, channels)
    return out


def _finish(canvas: np.ndarray, nuis: Nuisance, size: int) -> torch.Tensor:
    """Downsample, light, blur and add noise: uint8 (N, C, size, size)."""
    ch = canvas.shape[-1]
    img = np.zeros((len(canvas), size, size, ch), np.float32)
    for dy in range(SUPERSAMPLE):  # box filter: strided sums beat a 6-d mean by far
        for dx in range(SUPERSAMPLE):
            img += canvas[:, dy::SUPERSAMPLE, dx::SUPERSAMPLE]
    img *= 1 / SUPERSAMPLE**2
    ramp = (np.arange(size, dtype=np.float32) + 0.5) / size - 0.5
    grad = np.cos(nuis.light_angle)[:, None, None] * ramp[None, None, :] \
        + np.sin(nuis.light_angle)[:, None, None] * ramp[None, :, None]
    gain = nuis.brightness[:, None, None] * (1 + 2 * nuis.light[:, None, None] * grad)
    img = img * gain[..., None].astype(np.float32)
    img = 128 + (img - 128) * nuis.contrast[:, None, None, None].astype(np.float32)
    x = _blur(torch.from_numpy(np.ascontiguousarray(img.transpose(0, 3, 1, 2))), nuis.blur)
    noise = np.stack([np.random.default_rng(int(s)).standard_normal((ch, size, size),
                                                                   dtype=np.float32)
                      for s in nuis.noise_seed])
    x = x + torch.from_numpy(noise * nuis.noise[:, None, None, None].astype(np.float32))
    return x.round_().clamp_(0, 255).to(torch.uint8)


def extremes(ident: Identities) -> np.ndarray:
    """Neutral landmarks plus where they go with the widest-reaching AUs (for framing)."""
    wide = np.zeros((len(ident.neutral), len(actions.AU_CODES)), np.float32)
    for code in (1, 2, 20, 27):
        wide[:, COLUMN[code]] = 5.0
    side = np.zeros(len(wide), np.int8)
    moved = actions.apply(ident.neutral, wide, side, ident.p["expressive"])
    return np.concatenate([ident.neutral, moved], 1)


def render(ident: Identities, aus: np.ndarray, side: np.ndarray, nuis: Nuisance, size: int,
           channels: int) -> tuple[torch.Tensor, np.ndarray]:
    """Images uint8 (N, C, size, size) and landmarks (N, 68, 2) in output pixels of faces
    `ident` wearing AU intensities `aus` (N, A) under capture conditions `nuis`."""
    lm = actions.apply(ident.neutral, aus, side, ident.p["expressive"])
    built = parts.build(lm, ident, aus)
    shapes = [built[name] for name in _PARTS] + [lm]
    ends = np.cumsum([s.shape[1] for s in shapes])
    spans = {name: (int(e - s.shape[1]), int(e))
             for name, s, e in zip((*_PARTS, "landmarks"), shapes, ends, strict=True)}
    points = np.concatenate(shapes, 1)
    canvas_side = size * SUPERSAMPLE
    ext = extremes(ident)
    unit, origin = framing(ext, parts.depth(ext), nuis, canvas_side)
    xy = project(points, parts.depth(points), nuis, unit, origin)
    rgb, visible = palette(ident, aus, lm)
    canvas = _rasterise(xy, spans, rgb, visible, unit, ident.colors["bg"], canvas_side, channels)
    landmarks = (xy[:, -68:] - (SUPERSAMPLE - 1) / 2) / SUPERSAMPLE
    return _finish(canvas, nuis, size), landmarks.astype(np.float32)
