"""Fixture writers: small datasets generated in exactly the real on-disk layouts, with random
or drawn pixels (never real faces). Each writer is a fixture returning a function."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

FER_HEADER = "emotion,pixels,Usage"
ICML_HEADER = "emotion, Usage, pixels"
FER_USAGES = ("Training", "PublicTest", "PrivateTest")
FERPLUS_HEADER = ("Usage,Image name,neutral,happiness,surprise,sadness,anger,disgust,fear,"
                  "contempt,unknown,NF")
AFFECTNET_HEADER = ("subDirectory_filePath,face_x,face_y,face_width,face_height,"
                    "facial_landmarks,expression,valence,arousal")


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Keep the face and dataset caches of every test in its own temporary folder (outside
    `tmp_path`, which tests use as a dataset root)."""
    monkeypatch.setenv("FERBENCH_CACHE", str(tmp_path_factory.mktemp("cache")))


def noise(shape: tuple[int, ...], seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def _write_image(path: Path, size: tuple[int, int] = (48, 48), *, mode: str = "L",
                 seed: int = 0, value: int | None = None) -> Path:
    """A random (or constant `value`) image of `size` = (width, height) at `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    shape = (size[1], size[0]) if mode == "L" else (size[1], size[0], 3)
    arr = np.full(shape, value, np.uint8) if value is not None else noise(shape, seed)
    Image.fromarray(arr, mode).save(path)
    return path


def _write_corrupt(path: Path) -> Path:
    """A file with an image suffix whose bytes are not an image."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"this is not an image")
    return path


@pytest.fixture
def write_image():
    return _write_image


@pytest.fixture
def write_corrupt():
    return _write_corrupt


# ----------------------------------------------------------------------------- FER2013 / FER+

def _fer_rows(n: int, seed: int = 0) -> list[tuple[int, str, str]]:
    """(emotion, pixels, usage) rows cycling through the 7 codes and the 3 usages."""
    return [(i % 7, " ".join(map(str, noise((2304,), seed + i))), FER_USAGES[i % 3])
            for i in range(n)]


def _write_fer_csv(path: Path, rows: list[tuple], *, icml: bool = False) -> Path:
    """fer2013.csv (emotion,pixels,Usage) or Kaggle's icml_face_data.csv layout."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        f.write((ICML_HEADER if icml else FER_HEADER) + "\r\n")
        for emotion, pixels, usage in rows:
            f.write(f"{emotion}, {usage}, {pixels}\r\n" if icml
                    else f"{emotion},{pixels},{usage}\r\n")
    return path


@pytest.fixture
def fer_rows():
    return _fer_rows


@pytest.fixture
def write_fer_csv():
    return _write_fer_csv


def _write_ferplus(root: Path, votes: list[list[int]], *, names: list[str] | None = None,
                   header: str = FERPLUS_HEADER) -> Path:
    """fer2013new.csv with the given vote rows plus a matching fer2013.csv in `root`."""
    names = names if names is not None else [f"fer{i:07d}.png" for i in range(len(votes))]
    rows = _fer_rows(len(votes))
    _write_fer_csv(root / "fer2013.csv", rows)
    with open(root / "fer2013new.csv", "w", newline="") as f:
        f.write(header + "\n")
        for (_, _, usage), name, v in zip(rows, names, votes, strict=True):
            f.write(",".join([usage, name] + [str(x) for x in v]) + "\n")
    return root


@pytest.fixture
def write_ferplus():
    return _write_ferplus


# ----------------------------------------------------------------------------- CK+

def face_landmarks(cx: float, cy: float, scale: float, angle_deg: float = 0.0) -> np.ndarray:
    """A plausible 68-point layout (dlib/iBUG order) of a face centred at (cx, cy)."""
    pts = []
    pts += [(-1.0 * math.cos(t), 0.9 * math.sin(t) - 0.1)
            for t in np.linspace(0.05 * math.pi, 0.95 * math.pi, 17)][::-1]     # jaw 0-16
    pts += [(x, -0.55) for x in np.linspace(-0.8, -0.2, 5)]                      # brow 17-21
    pts += [(x, -0.55) for x in np.linspace(0.2, 0.8, 5)]                        # brow 22-26
    pts += [(0.0, y) for y in np.linspace(-0.35, 0.05, 4)]                       # nose 27-30
    pts += [(x, 0.15) for x in np.linspace(-0.2, 0.2, 5)]                        # nose 31-35
    for ex in (-0.45, 0.45):                                                     # eyes 36-47
        pts += [(ex + 0.18 * math.cos(t), -0.3 + 0.08 * math.sin(t))
                for t in np.linspace(math.pi, 3 * math.pi, 6, endpoint=False)]
    pts += [(0.4 * math.cos(t), 0.45 + 0.15 * math.sin(t))                       # mouth 48-59
            for t in np.linspace(math.pi, 3 * math.pi, 12, endpoint=False)]
    pts += [(0.25 * math.cos(t), 0.45 + 0.06 * math.sin(t))                      # mouth 60-67
            for t in np.linspace(math.pi, 3 * math.pi, 8, endpoint=False)]
    a = math.radians(angle_deg)
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    return (np.asarray(pts) @ rot.T * scale + [cx, cy]).astype(np.float32)


def draw_face(size: tuple[int, int], marks: np.ndarray, seed: int) -> Image.Image:
    """A grey frame with a face drawn through `marks`: skin polygon, eyes, brows, mouth."""
    rng = np.random.default_rng(seed)
    im = Image.fromarray(rng.integers(60, 90, (size[1], size[0]), dtype=np.uint8), "L")
    draw = ImageDraw.Draw(im)
    pts = [tuple(p) for p in marks.tolist()]
    draw.polygon(pts[0:17] + pts[26:16:-1], fill=190)
    for part in (slice(36, 42), slice(42, 48), slice(48, 60)):
        draw.polygon(pts[part], fill=40)
    draw.line(pts[17:22], fill=60, width=2)
    draw.line(pts[22:27], fill=60, width=2)
    draw.line(pts[27:31], fill=120, width=2)
    return im


def _floats(values) -> str:
    return "".join(f"   {v:.7e}" for v in values)


def _write_ck_sequence(root: Path, subject: str, seq: str, n_frames: int, *,
                       emotion: float | str | None, aus: list[tuple[float, float]] = (),
                       landmarks: bool = True, angle: float = 0.0,
                       size: tuple[int, int] = (160, 120)) -> list[Path]:
    """One CK+ sequence in the full-release layout; returns its frame paths."""
    paths = []
    for i in range(1, n_frames + 1):
        stem = f"{subject}_{seq}_{i:08d}"
        marks = face_landmarks(size[0] / 2, size[1] / 2, 35 + i, angle)
        path = root / "cohn-kanade-images" / subject / seq / f"{stem}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        draw_face(size, marks, seed=i).save(path)
        paths.append(path)
        if landmarks:
            lm = root / "Landmarks" / subject / seq / f"{stem}_landmarks.txt"
            lm.parent.mkdir(parents=True, exist_ok=True)
            lm.write_text("".join(_floats(p) + "\n" for p in marks))
    last = f"{subject}_{seq}_{n_frames:08d}"
    facs = root / "FACS" / subject / seq / f"{last}_facs.txt"
    facs.parent.mkdir(parents=True, exist_ok=True)
    facs.write_text("".join(_floats(pair) + "\n" for pair in aus))
    if emotion is not None:
        emo = root / "Emotion" / subject / seq / f"{last}_emotion.txt"
        emo.parent.mkdir(parents=True, exist_ok=True)
        emo.write_text(emotion if isinstance(emotion, str) else _floats([emotion]) + "\n")
    return paths


def _write_ckplus_full(root: Path) -> Path:
    """Three labelled sequences of two subjects plus one unlabelled sequence."""
    _write_ck_sequence(root, "S005", "001", 5, emotion=7.0, aus=[(1, 3), (2, 3), (27, 0)])
    _write_ck_sequence(root, "S005", "002", 4, emotion=None, aus=[(12, 2)])
    _write_ck_sequence(root, "S010", "001", 6, emotion=1.0, aus=[(4, 2), (23, 0)], angle=12)
    _write_ck_sequence(root, "S011", "003", 4, emotion=5.0, aus=[(6, 0), (12, 4)])
    return root


@pytest.fixture
def write_ck_sequence():
    return _write_ck_sequence


@pytest.fixture
def write_ckplus_full():
    return _write_ckplus_full


CK48_CLASSES = ("anger", "contempt", "disgust", "fear", "happy", "sadness", "surprise")


def _write_ck48(root: Path, subjects: int = 4) -> Path:
    """CK+48: `<class>/S0xx_00y_000000zz.png`, 3 frames per (subject, class) sequence."""
    for s in range(subjects):
        for c, name in enumerate(CK48_CLASSES):
            if (s + c) % 2:
                continue
            for frame in (10, 11, 12):
                _write_image(root / name / f"S{s + 10:03d}_{c + 1:03d}_{frame:08d}.png",
                             seed=s * 100 + c * 10 + frame)
    return root


@pytest.fixture
def write_ck48():
    return _write_ck48


# ----------------------------------------------------------------------------- RAF-DB

def _write_rafdb(root: Path, labels: dict[str, int]) -> Path:
    """EmoLabel/list_patition_label.txt plus aligned (100x100) and original images (RGB)."""
    (root / "EmoLabel").mkdir(parents=True, exist_ok=True)
    with open(root / "EmoLabel" / "list_patition_label.txt", "w") as f:
        f.writelines(f"{name} {code}\n" for name, code in labels.items())
    for i, name in enumerate(labels):
        stem = name.rsplit(".", 1)[0]
        _write_image(root / "Image" / "aligned" / f"{stem}_aligned.jpg", (100, 100),
                     mode="RGB", seed=i)
        _write_image(root / "Image" / "original" / name, (120 + i, 90), mode="RGB", seed=i)
    return root


@pytest.fixture
def write_rafdb():
    return _write_rafdb


# ----------------------------------------------------------------------------- AffectNet

def _affectnet_row(rel: str, box: tuple[int, int, int, int], code: int,
                   marks: np.ndarray | None) -> str:
    lm = ";".join(f"{v:.2f}" for v in marks.ravel()) if marks is not None else ""
    return ",".join([rel, *map(str, box), lm, str(code), "0.25", "-0.5"])


def _write_affectnet(root: Path, rows: dict[str, list[tuple[str, tuple, int]]], *,
                     image_dir: str = "Manually_Annotated_Images",
                     header: str = AFFECTNET_HEADER, landmarks: bool = True) -> Path:
    """training.csv / validation.csv from {csv name: [(relative path, box, code)]}; each
    image is dark with its face box filled white, landmarks (unless `landmarks` is False)
    spread along the box's diagonal."""
    for csv_name, entries in rows.items():
        lines = [header]
        for rel, box, code in entries:
            x, y, w, h = box
            arr = np.zeros((80, 100, 3), np.uint8)
            arr[y:y + h, x:x + w] = 255
            path = root / image_dir / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(arr).save(path)
            marks = np.stack([np.linspace(x, x + w, 68), np.linspace(y, y + h, 68)], 1)
            lines.append(_affectnet_row(rel, box, code, marks if landmarks else None))
        (root / csv_name).write_text("\n".join(lines) + "\n")
    return root


@pytest.fixture
def write_affectnet():
    return _write_affectnet


# ----------------------------------------------------------------------------- SFEW

SFEW_FOLDERS = ("Angry", "Disgust", "Fear", "Happy", "Neutral", "Sad", "Surprise")


def _write_sfew(root: Path, per_class: int = 2) -> Path:
    """Train/<class>/*.png and Val/<class>/*.png movie-frame-sized random images."""
    for part in ("Train", "Val"):
        for c, name in enumerate(SFEW_FOLDERS):
            for i in range(per_class):
                _write_image(root / part / name / f"{name}_{part}_{i:03d}.png", (72, 56),
                             mode="RGB", seed=c * 10 + i)
    return root


@pytest.fixture
def write_sfew():
    return _write_sfew
