"""Tests of the msca plugin: shapes, ablation variants, options, formula 4, registration."""

import math
import subprocess
import sys

import pytest
import torch
from ferbench import DatasetInfo
from ferbench.errors import UserError
from ferbench.plugins import load_registry
from timm.layers import SEModule
from torch import nn

from ferbench_msca import model as msca
from ferbench_msca.loss import cosine_similarity_loss

SMALL = {"stem_width": 8, "widths": (8, 16, 16)}  # keeps the tests fast
VARIANTS = {"msca-resnet": msca.build, "msca-resnet-nose": msca.build_nose,
            "msca-resnet-nobn": msca.build_nobn, "msca-resnet-plain": msca.build_plain}


def info(num_classes=7, in_chans=1):
    return DatasetInfo(name="toy", class_names=tuple(f"c{i}" for i in range(num_classes)),
                       in_chans=in_chans)


def branch_modules(net, kind):
    return [m for ms in net.modules() if isinstance(ms, msca.MultiScaleConv)
            for m in ms.modules() if isinstance(m, kind)]


def n_params(net):
    return sum(p.numel() for p in net.parameters())


@pytest.mark.parametrize("in_chans", [1, 3])
@pytest.mark.parametrize("num_classes", [2, 7, 8])
def test_logits_shape(in_chans, num_classes):
    net = msca.build(info(num_classes, in_chans), **SMALL).eval()
    with torch.no_grad():
        out = net(torch.randn(3, in_chans, 48, 48))
    assert out.shape == (3, num_classes)
    assert torch.isfinite(out).all()


def test_default_network_follows_the_paper():
    net = msca.build(info())
    blocks = [m for m in net.modules() if isinstance(m, msca.MultiScaleResidualBlock)]
    assert len(blocks) == 3
    assert [b.multiscale.out_chans for b in blocks] == [192, 384, 768]
    assert sum(isinstance(m, nn.MaxPool2d) for m in net.modules()) == 3  # stem + between
    assert all(se.fc1.out_channels * 8 == se.fc1.in_channels
               for se in net.modules() if isinstance(se, SEModule))
    assert [br[0][0].kernel_size for br in blocks[0].multiscale.branches] \
        == [(1, 1), (3, 3), (5, 5)]


def test_variants_differ_in_the_multiscale_branches_only():
    nets = {name: build(info(), **SMALL) for name, build in VARIANTS.items()}
    has_se = {name: bool(branch_modules(n, SEModule)) for name, n in nets.items()}
    has_bn = {name: bool(branch_modules(n, nn.BatchNorm2d)) for name, n in nets.items()}
    assert has_se == {"msca-resnet": True, "msca-resnet-nose": False,
                      "msca-resnet-nobn": True, "msca-resnet-plain": False}
    assert has_bn == {"msca-resnet": True, "msca-resnet-nose": True,
                      "msca-resnet-nobn": False, "msca-resnet-plain": False}
    for net in nets.values():  # stem SE, block SE and BN after the fusing conv stay
        assert isinstance(net.stem[2], SEModule)
        assert sum(isinstance(m, SEModule) for m in net.modules()) >= 4
        assert sum(isinstance(m, nn.BatchNorm2d) for m in net.modules()) >= 4
    assert len({n_params(net) for net in nets.values()}) == 4


def test_parallel_layout_sums_bn_and_se():
    net = msca.build(info(), branch_layout="parallel", **SMALL)
    branch = net.blocks[0].multiscale.branches[0]
    assert isinstance(branch, msca.ParallelBranch)
    x = torch.randn(2, 8, 12, 12)
    branch.eval()
    h = branch.conv(x)
    assert torch.allclose(branch(x), torch.relu(branch.bn(h) + branch.se(h)))


def test_se_bias_false_is_formula_2_without_biases():
    """s = sigmoid(W2 relu(W1 z)): every SE (stem, branches, blocks) loses its two biases and
    no other layer changes; the default keeps them, as Hu et al. and timm do."""
    with_bias = msca.build(info(), **SMALL)
    without = msca.build(info(), se_bias="false", **SMALL)
    se_with = [m for m in with_bias.modules() if isinstance(m, SEModule)]
    se_without = [m for m in without.modules() if isinstance(m, SEModule)]
    assert len(se_with) == len(se_without) >= 4
    assert all(m.fc1.bias is not None and m.fc2.bias is not None for m in se_with)
    assert all(m.fc1.bias is None and m.fc2.bias is None for m in se_without)
    biases = sum(m.fc1.out_channels + m.fc2.out_channels for m in se_with)
    assert n_params(with_bias) - n_params(without) == biases
    se = se_without[0].eval()
    z = torch.randn(2, se.fc1.in_channels, 5, 5)
    pooled = z.mean((2, 3), keepdim=True)
    expected = z * torch.sigmoid(se.fc2(torch.relu(se.fc1(pooled))))
    assert torch.allclose(se(z), expected, atol=1e-6)
    assert torch.allclose(torch.nn.functional.conv2d(pooled, se.fc1.weight),
                          se.fc1(pooled))  # W1 z, nothing added


def test_string_options_are_coerced():
    net = msca.build(info(), stem_width="8", widths="[8, 16]", kernel_sizes="3,7",
                     se_reduction="4", branch_se="false", dropout="0.5")
    blocks = [m for m in net.modules() if isinstance(m, msca.MultiScaleResidualBlock)]
    assert [b.fuse[0].out_channels for b in blocks] == [8, 16]
    assert [br[0][0].kernel_size for br in blocks[0].multiscale.branches] == [(3, 3), (7, 7)]
    assert not branch_modules(net, SEModule)
    assert net.head.drop.p == 0.5


@pytest.mark.parametrize("option, value", [
    ("widths", "64,abc"), ("widths", ""), ("kernel_sizes", "3,4"), ("se_reduction", 0),
    ("stem_width", True), ("branch_bn", "maybe"), ("branch_layout", "stacked"), ("se_bias", "maybe"),
    ("dropout", 1.0), ("dropout", "x"), ("depth", 3)])
def test_bad_options_name_the_option(option, value):
    with pytest.raises(UserError, match=option):
        msca.build(info(), **{option: value})


def test_loss_matches_formula_4_by_hand():
    # softmax(log [1, 2, 3]) = [1, 2, 3] / 6, so cos(one_hot(k), p) = (k + 1) / sqrt(14)
    logits = torch.log(torch.tensor([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]))
    targets = torch.tensor([2, 0])
    expected = -(3 / math.sqrt(14) + 1 / math.sqrt(14)) / 2
    assert cosine_similarity_loss(logits, targets).item() == pytest.approx(expected, abs=1e-6)


def test_loss_is_minimised_by_the_correct_one_hot():
    targets = torch.tensor([1, 3])
    right = cosine_similarity_loss(30.0 * nn.functional.one_hot(targets, 5).float(), targets)
    wrong = cosine_similarity_loss(30.0 * nn.functional.one_hot(targets.flip(0), 5).float(),
                                   targets)
    uniform = cosine_similarity_loss(torch.zeros(2, 5), targets)
    assert right.item() == pytest.approx(-1.0, abs=1e-6)
    assert right < uniform < wrong <= 0


def test_gradients_reach_every_parameter():
    net = msca.build(info(), **SMALL)
    loss = cosine_similarity_loss(net(torch.randn(4, 1, 32, 32)), torch.tensor([0, 1, 2, 3]))
    loss.backward()
    missing = [name for name, p in net.named_parameters()
               if p.grad is None or not torch.isfinite(p.grad).all()]
    assert not missing
    assert any(p.grad.abs().sum() > 0 for p in net.parameters())


def test_two_adam_steps_reduce_the_loss():
    torch.manual_seed(0)
    net = msca.build(info(), **SMALL)
    images, targets = torch.randn(16, 1, 32, 32), torch.randint(0, 7, (16,))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    losses = []
    for _ in range(3):
        loss = cosine_similarity_loss(net(images), targets)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]


def test_plugin_module_does_not_import_torch():
    code = "import ferbench_msca.plugin, sys; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_registered_through_the_entry_point():
    specs = load_registry(only="msca").find("models", "msca*")
    assert [s.name for s in specs] == sorted(VARIANTS)
    by_name = {s.name: s for s in specs}
    assert {s.plugin for s in specs} == {"ferbench-msca"}
    accuracy = {name: {r.dataset: r.value for r in s.reported if r.metric == "accuracy"}
                for name, s in by_name.items()}
    assert accuracy == {
        "msca-resnet": {"ferplus": 0.8780, "ckplus": 0.9932},
        "msca-resnet-nose": {"ferplus": 0.8750, "ckplus": 0.9796},
        "msca-resnet-nobn": {"ferplus": 0.8716, "ckplus": 0.9864},
        "msca-resnet-plain": {"ferplus": 0.8688, "ckplus": 0.9728},
    }
    for name, spec in by_name.items():
        assert spec.builder() is VARIANTS[name]
        assert spec.defaults["loss"] == "ferbench_msca.loss:cosine_similarity_loss"
        assert spec.defaults["lr_table"][0] == [0, 1e-3]
