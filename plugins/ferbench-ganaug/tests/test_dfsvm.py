"""DF-SVM: fc7 features of three frozen VGGs, concatenated, L2-normalised, scikit-learn's
LinearSVC with its defaults; ImageNet weights only from files the user gives (SHA-256
recorded)."""

import copy
import hashlib
import json

import numpy as np
import pytest
import timm
import torch
from ferbench.data.synthfer import load as load_synthfer
from ferbench.engine.context import RunContext
from ferbench.errors import UserError
from ferbench.plugins import load_registry
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from ferbench_ganaug import dfsvm


def small_vgg(name: str) -> torch.nn.Module:
    """A VGG of `name` with a 64-unit fc6 (fc7 keeps its 4096 units), for speed."""
    return timm.create_model(name, pretrained=False, num_classes=0, mlp_ratio=1 / 64)


@pytest.fixture(scope="module")
def faces():
    data = load_synthfer(image_size=32, subjects=4, per_class=1)
    return data.subset(np.isin(data.subjects, ["s000", "s001", "s002"])), \
        data.subset(data.subjects == "s003")


@pytest.fixture(scope="module")
def vggs():
    """The three random VGGs with timm's own head (fc6 a 7x7 convolution)."""
    torch.manual_seed(0)
    return {name: small_vgg(name).eval() for name in dfsvm.BACKBONES}


@pytest.fixture(scope="module")
def method(vggs):
    nets = {name: dfsvm.FC7Features(copy.deepcopy(vgg), 32).eval() for name, vgg in vggs.items()}
    return dfsvm.DFSVM(nets, {name: {"weights": "random init (frozen)"} for name in nets})


def test_features_are_the_three_fc7_layers_side_by_side(method, vggs, faces):
    images = faces[0].images[:5]
    features = method.extractor(images)
    x = images.float().div(255).expand(-1, 3, -1, -1)
    x = (x - torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)) / \
        torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    with torch.no_grad():
        parts = [vgg.pre_logits(vgg.features(x)).flatten(1).numpy() for vgg in vggs.values()]
    assert features.shape == (5, 3 * 4096)
    np.testing.assert_allclose(features, np.concatenate(parts, axis=1), rtol=1e-5, atol=1e-6)
    assert (features >= 0).all()  # fc7 after its ReLU
    assert all(net.folded for net in method.networks.values())  # 32 px: a 1x1 map, fc6 folded


def test_svm_gets_l2_normalised_features_and_sklearn_defaults(tmp_path, method, faces):
    train, test = faces
    ctx = RunContext(device=torch.device("cpu"), amp_dtype=None, seed=0, hparams={},
                     artifacts=tmp_path / "art", quiet=True,
                     task=load_registry(only="ganaug").task("expression"),
                     info=train.info)
    method.fit(train, test, ctx)
    pipeline = method.models[0]
    assert [name for name, _ in pipeline.steps] == ["l2", "clf"]
    assert not any(isinstance(step, StandardScaler) for _, step in pipeline.steps)
    svm = pipeline.named_steps["clf"]
    assert isinstance(svm, LinearSVC) and (svm.C, svm.loss) == (1.0, "squared_hinge")
    x = method.extractor(test.images)
    expected = x / np.linalg.norm(x, axis=1, keepdims=True)
    np.testing.assert_allclose(pipeline.named_steps["l2"].transform(x), expected, rtol=1e-6)
    np.testing.assert_allclose(pipeline.decision_function(x),
                               svm.decision_function(expected), rtol=1e-5)
    assert method.predict(test.images).shape == (len(test), 8)
    recorded = json.loads((ctx.artifacts / "weights.json").read_text())
    assert recorded == {name: {"weights": "random init (frozen)"} for name in dfsvm.BACKBONES}
    assert ctx.extra["bookkeeping"]["feature_weights"] == recorded  # into the run record
    assert ctx.extra["bookkeeping"]["fc6_folded"] is True


@pytest.mark.parametrize("options, match", [
    ({}, "model.vgg13_weights=PATH -o model.vgg16_weights=PATH -o model.vgg19_weights"),
    ({"vgg16_weights": "w.pth"}, "give -o model.vgg13_weights=PATH -o model.vgg19_weights="),
    ({"random_init": True, "vgg13_weights": "w.pth"}, "either"),
    ({"random_init": True, "image_size": 16}, "model.image_size"),
    ({"random_init": "maybe"}, "model.random_init: expected true or false"),
])
def test_weights_options_fail_with_one_line_naming_the_option(options, match):
    with pytest.raises(UserError, match=match):
        dfsvm.build(None, **options)


def test_a_missing_or_unreadable_weights_file_names_its_option(tmp_path):
    with pytest.raises(UserError, match="model.vgg19_weights: .*nope.pth is not a file"):
        dfsvm.load_vgg("vgg19", str(tmp_path / "nope.pth"))
    garbage = tmp_path / "garbage.pth"
    garbage.write_bytes(b"not a state dict")
    with pytest.raises(UserError, match="model.vgg13_weights: .*garbage.pth is not a readable"):
        dfsvm.load_vgg("vgg13", str(garbage))


@pytest.mark.slow
def test_torchvision_imagenet_layout_loads_with_its_sha256_and_folds(tmp_path):
    torchvision = pytest.importorskip("torchvision")
    source = torchvision.models.vgg13(weights=None).eval()
    path = tmp_path / "vgg13-tv.pth"
    torch.save(source.state_dict(), path)
    loaded = dfsvm.load_vgg("vgg13", str(path)).eval()
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        want = source.classifier[:5](torch.flatten(source.avgpool(source.features(x)), 1))
        got = loaded.forward_head(loaded.forward_features(x), pre_logits=True)
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-4)
    assert dfsvm.sha256(path) == hashlib.sha256(path.read_bytes()).hexdigest()
    # at 48 px the loaded fc6 folds; torchvision's own head pools the 1x1 map up to 7x7
    folded = dfsvm.FC7Features(loaded, 48).eval()
    images = torch.randint(0, 256, (2, 1, 48, 48), dtype=torch.uint8)
    x = images.float().div(255).expand(-1, 3, -1, -1)
    x = (x - torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)) / \
        torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    with torch.no_grad():
        want = source.classifier[:5](torch.flatten(source.avgpool(source.features(x)), 1))
        got = folded(images)
    assert folded.folded
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-5)
