"""Confusion-matrix and ROC-curve PNGs."""

import matplotlib
import pytest
from PIL import Image

from ferbench.results.plots import save_confusion_matrix, save_roc_curves


def test_confusion_matrix_png(tmp_path):
    backend = matplotlib.rcParams["backend"]
    names = ["anger", "happy", "surprise"]
    matrix = [[5, 1, 0], [0, 9, 1], [0, 0, 0]]  # a class without test samples is drawn too
    path = save_confusion_matrix(matrix, names, tmp_path / "cm" / "m.png", title="m · ckplus")
    assert path == tmp_path / "cm" / "m.png"
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert min(image.size) > 100
    raw = save_confusion_matrix(matrix, names, tmp_path / "raw.png", normalize=False)
    assert raw.read_bytes() != path.read_bytes()
    assert matplotlib.rcParams["backend"] == backend  # the caller's backend is left alone


def test_confusion_matrix_shape_must_match_class_names(tmp_path):
    with pytest.raises(ValueError, match="3 class names"):
        save_confusion_matrix([[1, 0], [0, 1]], ["a", "b", "c"], tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


def test_roc_curves_png(tmp_path):
    curves = {"happy": ([0.0, 0.1, 1.0], [0.0, 0.9, 1.0], 0.95),
              "sad": ([0.0, 0.5, 1.0], [0.0, 0.6, 1.0], 0.55)}
    path = save_roc_curves(curves, tmp_path / "roc.png", title="ROC")
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.size[0] > 200
