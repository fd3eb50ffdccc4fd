"""Sample grids: PNG written for FaceSets with and without AU labels; transfer triple grids."""

import numpy as np
import pytest
import torch
from PIL import Image

from ferbench.data import synthfer
from ferbench.data.faceset import FaceSet
from ferbench.data.info import DatasetInfo
from ferbench.data.show import TRIPLE_CELL, TRIPLE_TITLES, save_grid, triple_grid
from ferbench.errors import UserError


def plain_faceset(n=12, channels=3):
    info = DatasetInfo(name="plain", class_names=("a", "b", "c"), in_chans=channels)
    images = torch.randint(0, 256, (n, channels, 48, 48), dtype=torch.uint8)
    return FaceSet(info=info, images=images, labels=torch.arange(n) % 2,
                   subjects=np.array(["p"] * n), keys=np.array([str(i) for i in range(n)]))


def test_grid_with_expression_and_au_sections(tmp_path):
    fs = synthfer.load(subjects=3, per_class=2)
    out = save_grid(fs, tmp_path / "grids" / "synthfer.png", per_class=4)
    assert out == tmp_path / "grids" / "synthfer.png" and out.stat().st_size > 20_000
    with Image.open(out) as im:
        width, height = im.size
    # 8 class rows + one row per AU: a tall figure
    assert height > 3 * width


def test_grid_without_au_labels_and_with_an_empty_class(tmp_path):
    out = save_grid(plain_faceset(), tmp_path / "plain.png", per_class=3, seed=1)
    with Image.open(out) as im:
        width, height = im.size
        assert im.getextrema()[0][1] > 0
    assert height < 2 * width  # three class rows only ("c" has no samples)


def test_grid_rejects_empty_faceset(tmp_path):
    empty = plain_faceset().subset(np.zeros(12, dtype=bool))
    with pytest.raises(UserError, match="plain: no samples to show"):
        save_grid(empty, tmp_path / "x.png")


def test_triple_grid_has_one_row_per_triple(tmp_path):
    # constant grey images: row r, column c has value 40 * r + 50 * c; one RGB image among them
    rows = [tuple(torch.full((1, 48, 48), 40 * r + 50 * c, dtype=torch.uint8) for c in range(4))
            for r in range(3)]
    rows[2] = (*rows[2][:3], np.full((3, 32, 32), 230, np.uint8))
    out = triple_grid(rows, tmp_path / "grids" / "triples.png")
    with Image.open(out) as im:
        pixels = np.asarray(im.convert("RGB")).astype(int)
    assert pixels.shape == (TRIPLE_TITLES + 3 * TRIPLE_CELL, 4 * TRIPLE_CELL, 3)
    for r in range(3):
        for c in range(4):
            y = TRIPLE_TITLES + TRIPLE_CELL * r + TRIPLE_CELL // 2
            x = TRIPLE_CELL * c + TRIPLE_CELL // 2
            expected = 230 if (r, c) == (2, 3) else 40 * r + 50 * c
            assert np.abs(pixels[y, x] - expected).max() <= 1
    # the title band holds dark text on white
    assert pixels[:TRIPLE_TITLES].min() < 100 and pixels[0, 0].tolist() == [255, 255, 255]
    with pytest.raises(ValueError, match="rows of 3 images"):
        triple_grid(rows, tmp_path / "bad.png", titles=("source", "target", "truth"))
