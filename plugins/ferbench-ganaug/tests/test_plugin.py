"""Registration: the paper's table as model entries, their recipes and reported numbers."""

import subprocess
import sys

import pytest
import torch
from ferbench import DatasetInfo
from ferbench.config import resolve_hparams
from ferbench.errors import UserError
from ferbench.plugins import load_registry
from torch import nn

from ferbench_ganaug import classifiers

NAMES = {"df-svm", *(f"ganaug-{net}{gan}" for net in ("vgg16", "resnet50")
                     for gan in ("", "-dcgan", "-wgan-gp", "-cgan"))}


@pytest.fixture(scope="module")
def specs():
    return {s.name: s for s in load_registry(only="ganaug").find("models", "*")
            if s.plugin == "ferbench-ganaug"}


def test_plugin_module_does_not_import_torch():
    code = "import ferbench_ganaug.plugin, sys; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_every_row_of_table_1_is_a_model_with_its_reported_accuracy(specs):
    assert set(specs) == NAMES
    reported = {name: [(r.dataset, r.metric, r.value) for r in s.reported]
                for name, s in specs.items()}
    assert reported == {
        "df-svm": [("fer2013", "accuracy", 0.5240)],
        "ganaug-vgg16": [("fer2013", "accuracy", 0.5492)],
        "ganaug-resnet50": [("fer2013", "accuracy", 0.6428)],
        "ganaug-vgg16-dcgan": [("fer2013", "accuracy", 0.6637)],
        "ganaug-vgg16-wgan-gp": [("fer2013", "accuracy", 0.6461)],
        "ganaug-resnet50-dcgan": [("fer2013", "accuracy", 0.7175)],
        "ganaug-resnet50-wgan-gp": [("fer2013", "accuracy", 0.6916)],
        "ganaug-vgg16-cgan": [], "ganaug-resnet50-cgan": []}


@pytest.mark.parametrize("net", ["vgg16", "resnet50"])
def test_classifier_recipes_follow_experiment_b(specs, net):
    for gan in ("", "-dcgan", "-wgan-gp", "-cgan"):
        hp = resolve_hparams(specs[f"ganaug-{net}{gan}"].defaults, {})
        assert (hp["optimizer"], hp["lr"], hp["batch_size"], hp["epochs"]) == \
            ("sgd", 1e-4, 32, 200)
        assert hp["augment"]["rotate"] > 0 and hp["augment"]["shift"] > 0
        assert not hp["augment"]["hflip"]
        assert hp["augment"].get("generator") == (gan[1:] or None)
        # each augmented row is compared pairwise with its classifier alone
        assert specs[f"ganaug-{net}{gan}"].paired_with == (f"ganaug-{net}" if gan else "")


@pytest.mark.parametrize("gan, batch, epochs", [("dcgan", 16, 80), ("wgan-gp", 8, 200),
                                                ("cgan", 64, 80)])
def test_gan_recipes_follow_experiment_a(specs, gan, batch, epochs):
    for net in ("vgg16", "resnet50"):
        hp = resolve_hparams(specs[f"ganaug-{net}-{gan}"].defaults, {})
        assert (hp["gan_batch_size"], hp["gan_epochs"], hp["gan_lr"]) == (batch, epochs, 1e-4)
        assert hp["augment"]["generated_per_class"] == 1000
        assert hp["augment"].get("generator_data", "train") == "train"


def test_builders_are_the_paper_networks(specs):
    info = DatasetInfo(name="toy", class_names=tuple(f"c{i}" for i in range(7)))
    vgg = classifiers.vgg16(info, mlp_ratio=1 / 64)  # a 64-unit fc6, for speed
    assert not any(isinstance(m, nn.BatchNorm2d) for m in vgg.modules())
    assert sum(isinstance(m, nn.Conv2d) for m in vgg.features.modules()) == 13
    with torch.no_grad():
        assert vgg.eval()(torch.randn(2, 1, 48, 48)).shape == (2, 7)
    narrow = classifiers.vgg16(info, width=0.125, mlp_ratio=0.125)
    convs = [m for m in narrow.features.modules() if isinstance(m, nn.Conv2d)]
    assert [c.out_channels for c in convs] == [8, 8, 16, 16, 32, 32, 32, 64, 64, 64, 64, 64, 64]
    assert narrow.pre_logits.fc1.out_channels == 512  # fc6: 4096 x mlp_ratio
    with torch.no_grad():
        assert narrow.eval()(torch.randn(2, 1, 48, 48)).shape == (2, 7)
    resnet = specs["ganaug-resnet50"].builder()(info, channels=[8, 16, 32, 64])
    with torch.no_grad():
        assert resnet.eval()(torch.randn(2, 1, 48, 48)).shape == (2, 7)
    assert [len(stage) for stage in (resnet.layer1, resnet.layer2, resnet.layer3,
                                     resnet.layer4)] == [3, 4, 6, 3]


@pytest.mark.parametrize("width", [0.0, 1.5, 0.001])
def test_vgg16_width_out_of_range_is_a_user_error(width):
    info = DatasetInfo(name="toy", class_names=("a", "b"))
    with pytest.raises(UserError, match="model.width"):
        classifiers.vgg16(info, width=width)
