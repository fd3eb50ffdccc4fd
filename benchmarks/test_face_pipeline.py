"""Per-image time of the face pipeline (decode, detect, 68 landmarks, align), cache off.

Run: .venv/bin/pytest benchmarks/test_face_pipeline.py --benchmark-only
Drawn faces stand in for JAFFE (256x256 gray) and RaFD (681x1024 RGB) photos; the CK+48
case reads the real crops from ../shared/datasets/CK+48 when present."""

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from ferbench.data.face import align_faces
from ferbench.data.face.cartoon import draw_face

CKPLUS48 = Path(__file__).resolve().parents[1] / ".." / "shared" / "datasets" / "CK+48"


@pytest.fixture(autouse=True)
def one_thread():
    torch.set_num_threads(1)


def photo(path: Path, face: int, height: int, width: int) -> Path:
    canvas = np.full((height, width), 60, np.uint8)
    top, left = (height - face) // 3, (width - face) // 2
    canvas[top:top + face, left:left + face] = draw_face(face)
    Image.fromarray(canvas).save(path)
    return path


@pytest.mark.parametrize("detector,upsample", [("hog", 0), ("hog", 1), ("haar", 0)])
@pytest.mark.parametrize("kind,face,height,width", [
    ("jaffe-like", 200, 256, 256), ("rafd-like", 420, 1024, 681)])
def test_pipeline_time_per_image(benchmark, tmp_path, kind, face, height, width, detector,
                                 upsample):
    path = photo(tmp_path / f"{kind}.png", face, height, width)
    faces = benchmark(align_faces, [path], size=48, channels=1, detector=detector,
                      upsample=upsample, cache=False)
    assert len(faces.kept) == 1


@pytest.mark.realdata
@pytest.mark.skipif(not CKPLUS48.is_dir(), reason="CK+48 crops absent")
@pytest.mark.parametrize("detector", ["hog", "haar"])
def test_ckplus48_time_per_100_crops(benchmark, detector):
    paths = sorted(CKPLUS48.rglob("*.png"))[::9][:100]
    faces = benchmark.pedantic(align_faces, args=(paths,), rounds=3,
                               kwargs={"size": 48, "channels": 1, "detector": detector,
                                       "upsample": 1, "cache": False})
    benchmark.extra_info["detected"] = f"{len(faces.kept)}/{len(paths)}"
