"""Sample grids: PNG written for FaceSets with and without AU labels."""

import numpy as np
import pytest
import torch
from PIL import Image

from ferbench.data import synthfer
from ferbench.data.faceset import FaceSet
from ferbench.data.info import DatasetInfo
from ferbench.data.show import save_grid
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
