"""Transfer triples: synthfer's exact rendered truths, the pair-key rule (against a brute-force
reference), split parts, identity-disjointness, counts, seeding and the user errors."""

from dataclasses import replace

import numpy as np
import pytest
import torch

from ferbench.data import synthfer
from ferbench.data.faceset import FaceSet
from ferbench.data.info import DatasetInfo
from ferbench.data.protocols import build_splits
from ferbench.data.synthfer import dataset, identity, render
from ferbench.data.triples import (
    Triples,
    assert_identity_disjoint,
    build_triples,
    triple_counts,
)
from ferbench.errors import UserError

CONTEMPT = synthfer.CLASS_NAMES.index("contempt")


@pytest.fixture(scope="module")
def faces():
    torch.set_num_threads(1)
    return synthfer.load(subjects=6, per_class=2, image_size=32)


def without_renderer(fs: FaceSet) -> FaceSet:
    """The same samples, truths taken from the pair keys."""
    extra = {k: v for k, v in fs.info.extra.items() if k != "render_truth"}
    return replace(fs, info=replace(fs.info, extra=extra))


def everything(fs: FaceSet) -> np.ndarray:
    return np.arange(len(fs))


def test_rendering_a_sample_of_the_targets_pair_key_reproduces_it(faces):
    # same person and take, expression of u: exactly the image and landmarks `load` drew of u
    pk = faces.pair_keys
    source, target = np.nonzero(pk[:, None] == pk[None, :])
    images, landmarks = synthfer.render_truths(faces, source, target)
    assert len(source) == 12 * 8 * 8
    assert torch.equal(images, faces.images[source])
    assert torch.equal(landmarks, faces.landmarks[source])


def test_rendered_truth_is_a_fresh_render_of_the_target_with_the_source_aus(faces):
    triples = build_triples(faces, everything(faces), per_target=2, seed=3)
    assert triples.truth is None and len(triples) == 2 * len(faces)
    assert triples.truth_images.shape == (len(triples), 1, 32, 32)
    assert triples.truth_images.dtype == torch.uint8
    assert triples.truth_landmarks.shape == (len(triples), 68, 2)
    # the target's person and take, drawn with the AU intensities the FaceSet records for the
    # source (contempt is one-sided: its side is not a FaceSet field, so it is left out here)
    rows = np.flatnonzero(faces.labels.numpy()[triples.source] != CONTEMPT)
    target = triples.target[rows]
    subject = np.array([int(faces.subjects[t][1:]) for t in target])
    take = np.array([int(faces.keys[t].rsplit("/", 1)[1]) for t in target])
    images, landmarks = render.render(
        identity.sample(0, subject), faces.au_intensity[triples.source[rows]].numpy(),
        np.zeros(len(rows), np.int8), dataset.takes(0, "normal", subject, take), 32, 1)
    assert torch.equal(triples.truth_images[rows], images)
    assert np.array_equal(triples.truth_landmarks[rows].numpy(), landmarks)
    # background and noise are the target's; the expression is not
    corners = (slice(None), slice(None), slice(0, 2), slice(0, 2))
    targets = faces.images[triples.target]
    assert torch.equal(triples.truth_images[corners], targets[corners])
    assert bool((triples.truth_images != targets).flatten(1).any(1).all())
    images, landmarks = triples.truth_of(faces)
    assert images is triples.truth_images and landmarks is triples.truth_landmarks


def test_pair_key_truths_follow_the_rule(faces):
    fs = without_renderer(faces)
    triples = build_triples(fs, everything(fs), per_target=1000, exclude_same_label=False)
    labels, keys = fs.labels.numpy(), fs.keys
    # brute-force reference: every (source, target) of other subjects whose expression the
    # target's pair key holds, with the first such sample by key as the truth
    expected = {}
    for t in range(len(fs)):
        for s in range(len(fs)):
            same_key = [u for u in range(len(fs)) if fs.pair_keys[u] == fs.pair_keys[t]
                        and labels[u] == labels[s]]
            if fs.subjects[s] != fs.subjects[t] and same_key:
                expected[s, t] = min(same_key, key=lambda u: keys[u])
    got = dict(zip(zip(triples.source.tolist(), triples.target.tolist(), strict=True),
                   triples.truth.tolist(), strict=True))
    assert len(got) == len(triples) and got == expected
    assert triples.truth_images is None and triples.truth_landmarks is None
    images, landmarks = triples.truth_of(fs)
    assert torch.equal(images, fs.images[triples.truth])
    assert torch.equal(landmarks, fs.landmarks[triples.truth])
    other = build_triples(fs, everything(fs), per_target=1000)
    assert (labels[other.source] != labels[other.target]).all()
    assert len(other) == len(fs) * 5 * 7 * 2  # other subjects' samples of the 7 other classes


def test_triples_stay_inside_their_split_part(faces):
    split = build_splits(faces, "kfold", k=3, seed=1)[0]
    parts = {}
    for part in ("train", "test"):
        index = getattr(split, part)
        for fs in (faces, without_renderer(faces)):
            triples = build_triples(fs, index, per_target=2)
            members = np.concatenate([triples.source, triples.target]
                                     + ([] if triples.truth is None else [triples.truth]))
            assert np.isin(members, index).all()
            assert (fs.subjects[triples.source] != fs.subjects[triples.target]).all()
        parts[part] = triples
    assert_identity_disjoint(faces, parts)


def test_identity_disjointness_catches_a_leak(faces):
    split = build_splits(faces, "kfold", k=3, seed=1)[0]
    train = build_triples(without_renderer(faces), split.train)
    test = build_triples(without_renderer(faces), split.test)
    leaked = Triples(np.append(test.source, split.train[0]), np.append(test.target, test.target[0]),
                     np.append(test.truth, test.truth[0]))
    with pytest.raises(AssertionError, match=f"subject {faces.subjects[split.train[0]]} is in "
                                             "the transfer triples of both train and test"):
        assert_identity_disjoint(faces, {"train": train, "test": leaked})


def test_counts(faces):
    part = np.flatnonzero(np.isin(faces.subjects, ["s000", "s001", "s002"]))
    triples = build_triples(faces, part, per_target=3)
    assert triple_counts(faces, triples) == {"triples": 3 * 48, "targets": 48, "identities": 3}
    assert np.array_equal(np.bincount(triples.target, minlength=len(faces))[part],
                          np.full(48, 3))
    one_target = Triples(np.array([5, 20]), np.array([40, 40]), np.array([41, 41]))
    assert triple_counts(faces, one_target) == {"triples": 2, "targets": 1, "identities": 3}


def test_deterministic_under_the_seed(faces):
    fs = without_renderer(faces)
    a, b = (build_triples(fs, everything(fs), seed=4) for _ in range(2))
    c = build_triples(fs, everything(fs), seed=5)
    assert all(np.array_equal(x, y) for x, y in zip((a.source, a.target, a.truth),
                                                   (b.source, b.target, b.truth), strict=True))
    assert not np.array_equal(a.source, c.source)
    rendered = [build_triples(faces, np.arange(0, len(faces), 3), seed=2) for _ in range(2)]
    assert torch.equal(rendered[0].truth_images, rendered[1].truth_images)


def plain(pair_keys=None) -> FaceSet:
    info = DatasetInfo(name="plain", class_names=("a", "b"))
    return FaceSet(info=info, images=torch.zeros((4, 1, 8, 8), dtype=torch.uint8),
                   labels=torch.tensor([0, 1, 0, 1]), subjects=np.array(["p", "p", "q", "q"]),
                   keys=np.array(["0", "1", "2", "3"]), pair_keys=pair_keys)


@pytest.mark.parametrize("fs, index, match", [
    (plain(), [0, 1, 2, 3], "dataset plain has no pair keys"),
    (plain(np.array(["p0", "p1", "q0", "q1"])), [0, 1, 2, 3],
     "plain: no transfer triple in a part of 4 samples and 2 subjects: no person shows two "
     "expressions in one pose"),
    (plain(np.array(["p", "p", "q", "q"])), [0, 2],
     "no transfer triple .* every sample shows the same expression"),
    (plain(np.array(["p", "p", "q", "q"])), [0, 1], "one subject \\(p\\)"),
    (plain(np.array(["p", "p", "q", "q"])), [], "need samples with an expression label, the "
                                                "part has none"),
])
def test_user_errors(fs, index, match):
    with pytest.raises(UserError, match=match):
        build_triples(fs, np.array(index, dtype=int))


def test_user_errors_of_rendered_truths(faces):
    with pytest.raises(UserError, match="synthfer: .* one subject \\(s003\\)"):
        build_triples(faces, np.flatnonzero(faces.subjects == "s003"))
    with pytest.raises(UserError, match="every sample shows the same expression"):
        build_triples(faces, np.flatnonzero(faces.labels.numpy() == 2))
    with pytest.raises(UserError, match="per_target must be an integer of at least 1, got 0"):
        build_triples(faces, everything(faces), per_target=0)
    renamed = replace(faces, keys=np.char.add("x:", faces.keys))
    with pytest.raises(UserError, match="sample key 'x:s000/neutral/0' is not a synthfer key"):
        synthfer.render_truths(renamed, [0], [8])


def test_a_pair_key_with_a_single_expression_gives_no_triple_to_its_target():
    fs = plain(np.array(["p", "p", "q0", "q1"]))
    triples = build_triples(fs, [0, 1, 2, 3], per_target=5)
    # q's two samples have different pair keys: q is never a target, only a donor
    assert triples.target.tolist() == [0, 1] and triples.source.tolist() == [3, 2]
    assert triples.truth.tolist() == [1, 0]


def test_the_truth_is_the_first_sample_by_key_and_unlabelled_samples_take_no_part():
    info = DatasetInfo(name="frames", class_names=("neutral", "happy"))
    # person p shows happy in frames "p/2" and "p/1" (one pose); person q in one frame each;
    # "p/3" has no expression label
    fs = FaceSet(info=info, images=torch.zeros((6, 1, 8, 8), dtype=torch.uint8),
                 labels=torch.tensor([0, 1, 1, -1, 0, 1]),
                 subjects=np.array(["p", "p", "p", "p", "q", "q"]),
                 keys=np.array(["p/0", "p/2", "p/1", "p/3", "q/0", "q/1"]),
                 pair_keys=np.array(["p", "p", "p", "p", "q", "q"]))
    triples = build_triples(fs, np.arange(6), per_target=5)
    got = sorted(zip(triples.source.tolist(), triples.target.tolist(), triples.truth.tolist(),
                     strict=True))
    # (source, target, truth): the happy donor q/1 gives target p/0 the truth p/1, the first
    # happy frame by key; p/3 is in no triple
    assert got == [(0, 5, 4), (1, 4, 5), (2, 4, 5), (4, 1, 0), (4, 2, 0), (5, 0, 2)]
