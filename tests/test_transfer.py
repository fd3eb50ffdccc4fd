"""The transfer task end to end: identity and pix2pix through the CLI on synthfer triples,
the reference classifier behind expression consistency and FD/KID, grids, and that a
method never sees the answer."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from ferbench.models.transfer_baselines import Pix2PixGenerator
from ferbench.tasks.transfer import TransferTask

SMALL = ["--dataset", "synthfer", "--task", "transfer", "--threads", "1", "--json",
         "-o", "data.subjects=20", "-o", "data.per_class=1",
         "-o", "reference_model=tiny-cnn", "-o", "reference_epochs=1"]


def _run(cli, tmp_path, *argv):
    code, out, err = cli("run", *argv, *SMALL, "--db", str(tmp_path / "r.db"))
    assert code == 0, err
    return json.loads(out)


def test_identity_and_pix2pix_are_scored_on_the_same_triples(cli, tmp_path):
    identity = _run(cli, tmp_path, "--model", "identity")
    pix2pix = _run(cli, tmp_path, "--model", "pix2pix", "--epochs", "1",
                   "-o", "batch_size=32", "-o", "model.width=8", "-o", "model.d_width=8")
    for record in (identity, pix2pix):
        m, books = record["metrics"], record["bookkeeping"]
        assert set(m) >= {"ssim", "psnr", "l1", "nme", "expression_consistency", "fd",
                          "kid", "fid"}
        assert m["fid"] is None and books["fid"] == "n/a (no Inception weights)"
        assert books["feature_extractor"].startswith("tiny-cnn@run ")
        assert Path(record["artifacts"], "grid.png").exists()
        with np.load(Path(record["artifacts"], "predictions.npz")) as saved:
            n = len(saved["source_keys"])
            assert n == books["n_test"] == len(saved["target_keys"])
            for name in ("ssim", "psnr", "l1", "expression_consistency"):
                assert saved[f"{name}_per_item"].shape == (n,)
                assert saved[f"{name}_per_item"].mean() == pytest.approx(m[name], rel=1e-5)
            nme = saved["nme_per_item"]
            assert int(np.isnan(nme).sum()) == books["nme_detection_failures"]
            if m["nme"] is not None:
                assert np.nanmean(nme) == pytest.approx(m["nme"], rel=1e-6)
    assert identity["bookkeeping"]["triples_test"] == pix2pix["bookkeeping"]["triples_test"]
    # one reference classifier serves both runs (reused by data, split and seed)
    assert identity["bookkeeping"]["feature_extractor"] == \
        pix2pix["bookkeeping"]["feature_extractor"]
    assert 0 < identity["metrics"]["ssim"] < 1  # the target is not the truth
    assert identity["timing"]["params"] == 0 and pix2pix["timing"]["params"] > 0


class Spy:
    seen: set = set()

    def generate(self, batch):
        Spy.seen |= set(batch)
        return batch["target"]


def test_generate_never_receives_truth_fields():
    fields = {"source": torch.zeros(3, 1, 8, 8, dtype=torch.uint8),
              "target": torch.ones(3, 1, 8, 8, dtype=torch.uint8),
              "truth": torch.zeros(3, 1, 8, 8, dtype=torch.uint8),
              "truth_landmark_image": torch.zeros(3, 1, 8, 8, dtype=torch.uint8)}
    out = TransferTask().generate_all(Spy(), fields, batch=2)
    assert out.shape == (3, 1, 8, 8) and not any(k.startswith("truth") for k in Spy.seen)


@pytest.mark.parametrize("residual", [False, True])
def test_pix2pix_generator_condition_and_residual_start(residual):
    torch.manual_seed(0)
    g = Pix2PixGenerator(1, 32, width=8, residual=residual)
    if residual:
        g.zero_last_layer()
    x = torch.randint(0, 256, (2, 3, 32, 32), dtype=torch.uint8)
    out = g.eval()(x)
    assert out.shape == (2, 1, 32, 32) and out.dtype == torch.uint8
    if residual:  # starts as the identity floor: the target image
        assert (out.int() - x[:, :1].int()).abs().max() <= 1


def test_aligned_landmarks_undo_a_similarity_and_keep_unknown_faces_unknown():
    import math

    from ferbench.tasks.transfer_data import aligned_landmarks
    gen = torch.Generator().manual_seed(0)
    source = torch.rand(3, 68, 2, generator=gen) * 40
    angle = 0.3
    rotation = torch.tensor([[math.cos(angle), -math.sin(angle)],
                             [math.sin(angle), math.cos(angle)]])
    target = source @ rotation.T * 1.5 + torch.tensor([5.0, -2.0])
    target[2] = float("nan")  # a detection failure
    aligned = aligned_landmarks(source, target)
    assert torch.allclose(aligned[:2], target[:2], atol=1e-3)
    assert aligned[2].isnan().all()


def test_aligned_source_landmarks_are_nearer_the_truth_than_the_raw_ones():
    """On synthfer the source is another person in another pose: its landmarks aligned onto
    the target land nearer the truth's (the target person showing the source expression)
    than where they lie in the source photo."""
    import numpy as np

    from ferbench.data import synthfer
    from ferbench.data.triples import build_triples
    from ferbench.tasks.transfer_data import aligned_landmarks, triple_fields
    faces = synthfer.load(subjects=6, per_class=2, image_size=32)
    triples = build_triples(faces, np.arange(len(faces)))
    _, truth = triples.truth_of(faces)
    source = faces.landmarks[triples.source]
    aligned = aligned_landmarks(source, faces.landmarks[triples.target])
    raw_error = (source - truth).norm(dim=-1).mean()
    aligned_error = (aligned - truth).norm(dim=-1).mean()
    assert aligned_error < 0.5 * raw_error
    fields = triple_fields(faces, triples)
    assert fields["aligned_landmark_image"].shape == fields["source_landmark_image"].shape
    assert fields["aligned_landmark_image"].max() == 255


def test_pix2pix_landmarks_option_is_checked():
    from ferbench.data.info import DatasetInfo
    from ferbench.errors import UserError
    from ferbench.models.transfer_baselines import pix2pix
    info = DatasetInfo(name="x", class_names=["a", "b"], image_size=32, in_chans=1)
    with pytest.raises(UserError, match="model.landmarks: expected one of aligned, source"):
        pix2pix(info, width=8, d_width=8, landmarks="truth")
    assert pix2pix(info, width=8, d_width=8).landmark_field == "aligned_landmark_image"


def test_a_reference_run_whose_weights_are_gone_is_retrained_not_loaded(cli, tmp_path):
    first = _run(cli, tmp_path, "--model", "identity")["bookkeeping"]["feature_extractor"]
    ref_id = int(first.rsplit(" ", 1)[1])
    from ferbench.results.store import RunStore

    store = RunStore(tmp_path / "r.db")
    Path(store.get(ref_id)["artifacts"], "best.pt").unlink()  # a store moved to a new machine
    store.close()
    second = _run(cli, tmp_path, "--model", "identity")["bookkeeping"]["feature_extractor"]
    assert second.startswith("tiny-cnn@run ") and second != first
