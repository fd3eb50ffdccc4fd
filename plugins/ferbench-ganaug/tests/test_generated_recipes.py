"""The paper's GAN augmentation recipes through the core: per-class GANs (one conditional
GAN for CGAN) learn from training subjects only, and generated faces enter the training
set only — never validation or test."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from ferbench.cli import main
from ferbench.config import resolve_hparams
from ferbench.data.synthfer import load as load_synthfer
from ferbench.engine import generated
from ferbench.engine.context import RunContext
from ferbench.plugins import load_registry

# a WGAN-GP generator that has not stepped yet (n_critic = 5) sees its schedule step first
pytestmark = pytest.mark.filterwarnings("ignore:Detected call of `lr_scheduler")
# tiny GANs: the recipes' structure (kind, per-class or conditional) with a small budget
TINY = {"gan_epochs": 1, "gan_size": 24, "gan_width": 8, "epochs": 1}


@pytest.fixture(scope="module")
def faces():
    """synthfer at 24 px, 5 subjects x 8 classes x 2 takes: s000-s002 train, s003 val,
    s004 test."""
    data = load_synthfer(image_size=24, subjects=5, per_class=2)
    roles = {"train": ["s000", "s001", "s002"], "val": ["s003"], "test": ["s004"]}
    return {role: data.subset(np.isin(data.subjects, subjects))
            for role, subjects in roles.items()}


def _ctx(tmp_path: Path, model: str, faces, per_class: int = 3) -> RunContext:
    spec = load_registry(only="ganaug").get("models", model)
    hp = resolve_hparams(spec.defaults, {**TINY, "augment": {"generated_per_class": per_class}})
    ctx = RunContext(device=torch.device("cpu"), amp_dtype=None, seed=0, hparams=hp,
                     artifacts=tmp_path / "artifacts", quiet=True, stage_dir=tmp_path / "stages")
    ctx.artifacts.mkdir()
    ctx.roles = {"train": faces["train"], "val": faces["val"], "test": faces["test"]}
    return ctx


@pytest.mark.parametrize("model, conditional", [("ganaug-resnet50-dcgan", False),
                                                ("ganaug-vgg16-wgan-gp", False),
                                                ("ganaug-resnet50-cgan", True)])
def test_gans_see_only_training_subjects(tmp_path, faces, model, conditional):
    ctx = _ctx(tmp_path, model, faces)
    out = generated.add_generated(faces["train"], ctx)
    gens = ctx.extra["generators"]
    names = faces["train"].info.class_names
    assert set(gens) == set(names)
    train_subjects = set(faces["train"].subjects)
    held_out = set(faces["val"].subjects) | set(faces["test"].subjects)
    for name, gen in gens.items():
        assert gen.conditional == conditional
        assert gen.subjects <= train_subjects and not gen.subjects & held_out
        if not conditional:  # one GAN per class, trained on that class's faces only
            mine = faces["train"].labels == names.index(name)
            assert gen.subjects == set(faces["train"].subjects[mine.numpy()])
    assert len({id(g.generator) for g in gens.values()}) == (1 if conditional else len(names))
    n_real = len(faces["train"])
    assert len(out) == n_real + 3 * len(names)
    assert all(s.startswith("generated:") for s in out.subjects[n_real:])
    assert ctx.extra["generated"]["generator"] == model.split("-", 2)[2]


def test_the_paper_setting_trains_the_gans_on_the_pretraining_set_only(tmp_path, faces):
    """GANs on another face set (CK+ in the paper), generated faces into this training set."""
    ctx = _ctx(tmp_path, "ganaug-resnet50-dcgan", faces, per_class=2)
    ctx.hparams["augment"]["generator_data"] = "pretrain"
    source = load_synthfer(image_size=24, subjects=2, per_class=2, seed=7)
    ctx.roles["pretrain"] = source
    out = generated.add_generated(faces["train"], ctx)
    assert {g.subjects for g in ctx.extra["generators"].values()} == {frozenset(source.subjects)}
    assert ctx.extra["generated"]["data"] == "pretrain"
    assert len(out) == len(faces["train"]) + 2 * len(source.info.class_names)


def test_a_generator_never_learns_from_a_held_out_subject(tmp_path, faces):
    ctx = _ctx(tmp_path, "ganaug-resnet50-dcgan", faces)
    everyone = load_synthfer(image_size=24, subjects=5, per_class=2)  # holds s003, s004
    with pytest.raises(AssertionError, match="subjects"):
        generated.add_generated(everyone, ctx)


def test_cli_run_adds_generated_faces_to_training_only(tmp_path):
    db = tmp_path / "runs.db"
    code = main(["run", "--model", "ganaug-resnet50-dcgan", "--dataset", "synthfer",
                 "--protocol", "kfold", "--k", "3", "--fold", "1",
                 "-o", "data.subjects=6", "-o", "data.per_class=2", "-o", "data.image_size=24",
                 "-o", "model.channels=[4,8,8,8]", "-o", "augment.generated_per_class=5",
                 "-o", "gan_epochs=1", "-o", "gan_width=8", "-o", "reference_model=tiny-cnn",
                 "-o", "reference_epochs=1", "--epochs", "1", "--threads", "1",
                 "--db", str(db), "--out", str(tmp_path / "art"), "--json"])
    assert code == 0
    from ferbench.results.store import RunStore
    runs = {r["model"]: r for r in RunStore(db).list()}
    assert set(runs) == {"ganaug-resnet50-dcgan", "tiny-cnn"}  # the generation judge
    record = runs["ganaug-resnet50-dcgan"]
    book = record["bookkeeping"]
    n_real = 6 * 8 * 2
    assert book["n_train"] + book["n_val"] + book["n_test"] == n_real
    assert {k: book["generated"][k] for k in ("happy", "generator", "data")} == \
        {"happy": 5, "generator": "dcgan", "data": "train"}
    artifacts = Path(record["artifacts"])
    keys = np.load(artifacts / "predictions.npz")["keys"]
    assert len(keys) == book["n_test"] and not any("generated" in k for k in keys)
    assert (artifacts / "generated-grid.png").is_file()
    metrics = json.loads((artifacts / "metrics.json").read_text())
    assert set(metrics["bookkeeping"]["generation"]) == set(book["generated"]) - {
        "generator", "data", "cached"}
    assert record["metrics"]["gen_fd"] >= 0
