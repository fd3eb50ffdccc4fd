"""fc6 folded for a 1x1 feature map: the same fc7 activations as timm's head (a 7x7
convolution over the map pooled up to 7x7), from random weights and from weight files."""

import copy
import functools

import pytest
import timm
import torch
from timm.data import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD
from timm.models.vgg import ConvMlp

from ferbench_ganaug import dfsvm
from ferbench_ganaug.vgg_head import FoldedVGGHead


def vgg(name: str, full: bool = False) -> torch.nn.Module:
    """A random timm VGG; unless `full`, with a 64-unit fc6 for speed."""
    options = {} if full else {"mlp_ratio": 1 / 64}
    return timm.create_model(name, pretrained=False, num_classes=0, **options).eval()


def timm_fc7(network: torch.nn.Module, images: torch.Tensor) -> torch.Tensor:
    """fc7 of gray uint8 `images` through timm's own head (no folding), ImageNet-normalised."""
    x = images.float().div(255).expand(-1, 3, -1, -1)
    x = (x - torch.tensor(IMAGENET_DEFAULT_MEAN).view(1, 3, 1, 1)) / \
        torch.tensor(IMAGENET_DEFAULT_STD).view(1, 3, 1, 1)
    with torch.no_grad():
        return network.forward_head(network.forward_features(x), pre_logits=True)


@pytest.mark.parametrize("name, full", [("vgg13", False), ("vgg16", False), ("vgg19", False),
                                        ("vgg13", True)])
def test_folded_fc7_equals_timms_head_at_48px(name, full):
    torch.manual_seed(1)
    network = vgg(name, full)
    images = torch.randint(0, 256, (4, 1, 48, 48), dtype=torch.uint8)
    folded = dfsvm.FC7Features(copy.deepcopy(network), 48).eval()
    assert folded.folded and isinstance(folded.vgg.pre_logits, FoldedVGGHead)
    conv = network.pre_logits.fc1.weight
    assert folded.vgg.pre_logits.fc6.weight.shape == conv.shape[:2]
    with torch.no_grad():
        got = folded(images)
    want = timm_fc7(network, images)
    assert got.shape == (4, 4096) and want.abs().max() > 0
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6)


def test_a_larger_map_keeps_timms_head_and_the_folded_head_refuses_one():
    network = vgg("vgg13")
    assert not dfsvm.FC7Features(network, 64).folded  # 64 px: a 2x2 map
    assert isinstance(network.pre_logits, ConvMlp)
    with pytest.raises(ValueError, match="expected a 1x1 feature map, got \\(2, 2\\)"):
        FoldedVGGHead(network.pre_logits)(torch.zeros(1, 512, 2, 2))


def test_weight_files_load_into_timms_layout_then_fc6_folds(tmp_path, monkeypatch):
    torch.manual_seed(2)
    sources = {name: vgg(name) for name in dfsvm.BACKBONES}
    # load_vgg builds the small VGGs of these files: timm's loading path, at test size
    monkeypatch.setattr(dfsvm.timm, "create_model",
                        functools.partial(timm.create_model, mlp_ratio=1 / 64))
    files = {}
    for name, source in sources.items():
        files[f"{name}_weights"] = str(tmp_path / f"{name}.pth")
        torch.save(source.state_dict(), files[f"{name}_weights"])
    method = dfsvm.build(None, image_size=48, **files)
    images = torch.randint(0, 256, (3, 1, 48, 48), dtype=torch.uint8)
    for name, source in sources.items():
        net = method.networks[name]
        assert net.folded
        assert method.weights[name]["sha256"] == dfsvm.sha256(tmp_path / f"{name}.pth")
        with torch.no_grad():
            got = net(images)
        torch.testing.assert_close(got, timm_fc7(source, images), rtol=1e-5, atol=1e-6)


def test_folding_draws_no_random_numbers():
    """A seeded random-init run builds VGG-16 and VGG-19 after folding VGG-13's fc6: the
    fold must leave the RNG where timm left it, so the later backbones keep their weights."""
    network = vgg("vgg13")
    state = torch.get_rng_state()
    assert dfsvm.FC7Features(network, 48).folded
    assert torch.equal(torch.get_rng_state(), state)
