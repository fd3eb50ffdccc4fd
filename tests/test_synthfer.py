"""synthfer: shapes, determinism, FACS consistency, landmarks, transfer pairs, options."""

import numpy as np
import pytest
import torch

from ferbench.data import synthfer
from ferbench.errors import UserError

CLASSES = synthfer.CLASS_NAMES


@pytest.fixture(scope="module")
def faces():
    return synthfer.load(subjects=12, per_class=4)


def column(fs, au):
    return fs.info.au_codes.index(au)


def test_shapes_dtypes_and_info(faces):
    n = 12 * 8 * 4
    assert faces.images.shape == (n, 1, 48, 48) and faces.images.dtype == torch.uint8
    assert faces.labels.dtype == torch.int64
    assert faces.class_counts() == {name: 12 * 4 for name in CLASSES}
    a = len(faces.info.au_codes)
    assert set((1, 2, 4, 5, 6, 7, 9, 12, 15, 17, 20, 23, 24, 25, 26, 27)) <= set(
        faces.info.au_codes)
    assert faces.au_presence.shape == (n, a) and faces.au_presence.dtype == torch.uint8
    assert faces.au_intensity.shape == (n, a) and faces.au_intensity.dtype == torch.float32
    assert float(faces.au_intensity.min()) >= 0 and float(faces.au_intensity.max()) <= 5
    assert torch.equal(faces.au_presence, (faces.au_intensity > 0).to(torch.uint8))
    assert faces.landmarks.shape == (n, 68, 2) and faces.landmarks.dtype == torch.float32
    assert len(set(faces.keys)) == n and faces.keys[0] == "s000/neutral/0"
    assert faces.pair_keys[0] == "s000/take0" and faces.pair_keys[-1] == "s011/take3"
    assert sorted(set(faces.subjects)) == [f"s{i:03d}" for i in range(12)]
    info = faces.info
    assert (info.name, info.class_names, info.in_chans, info.image_size, info.num_subjects) == (
        "synthfer", CLASSES, 1, 48, 12)
    assert info.tasks == ("expression", "au", "transfer") and info.licence and info.source
    # images are faces, not blanks: plenty of contrast in each
    assert float(faces.images.float().flatten(1).std(1).min()) > 10


def test_same_seed_same_data_independent_of_size():
    a = synthfer.load(subjects=3, per_class=2, seed=7)
    b = synthfer.load(subjects=3, per_class=2, seed=7)
    assert torch.equal(a.images, b.images) and torch.equal(a.landmarks, b.landmarks)
    assert torch.equal(a.au_intensity, b.au_intensity)
    bigger = synthfer.load(subjects=4, per_class=3, seed=7)
    where = {k: i for i, k in enumerate(bigger.keys)}
    index = [where[k] for k in a.keys]
    assert torch.equal(bigger.images[index], a.images)
    other = synthfer.load(subjects=3, per_class=2, seed=8)
    assert not torch.equal(other.images, a.images)


def test_rgb_and_size():
    fs = synthfer.load(subjects=2, per_class=1, channels=3, image_size=64, difficulty="easy")
    assert fs.images.shape == (16, 3, 64, 64) and fs.info.in_chans == 3
    red, blue = fs.images[:, 0].float(), fs.images[:, 2].float()
    assert float((red - blue).abs().mean()) > 3  # skin and hair are coloured


def test_options_arrive_as_strings():
    fs = synthfer.load(image_size="32", channels="1", subjects="2", per_class="1", seed="5",
                       difficulty=" Hard ", strict="true")
    assert fs.images.shape == (16, 1, 32, 32) and fs.info.extra["difficulty"] == "hard"


@pytest.mark.parametrize("option, value, expected", [
    ("image_size", "abc", "synthfer option image_size: expected an integer from 16 to 256, "
                          "got 'abc'"),
    ("image_size", 8, "image_size: expected an integer from 16 to 256, got 8"),
    ("channels", "2", "channels: expected 1 (grayscale) or 3 (RGB), got '2'"),
    ("subjects", 0, "subjects: expected an integer from 1 to 10000, got 0"),
    ("per_class", 2.5, "per_class: expected an integer"),
    ("seed", -1, "seed: expected an integer from 0"),
    ("difficulty", "extreme", "difficulty: expected one of easy, normal, hard, got 'extreme'"),
    ("subjects", True, "subjects: expected an integer"),
])
def test_bad_options_name_the_option(option, value, expected):
    with pytest.raises(UserError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        synthfer.load(**{option: value})


def test_au_presence_follows_the_emfacs_prototypes(faces):
    present = faces.au_presence.float()
    labels = faces.labels

    def rate(cls, au):
        return float(present[labels == CLASSES.index(cls), column(faces, au)].mean())

    assert rate("happy", 12) > 0.9 and rate("sadness", 12) < 0.15
    assert rate("sadness", 15) > 0.6 and rate("happy", 15) < 0.15
    assert rate("surprise", 2) > 0.8 and rate("anger", 2) < 0.15
    assert rate("anger", 4) > 0.8 and rate("disgust", 9) > 0.7 and rate("fear", 20) > 0.6
    assert rate("contempt", 12) > 0.8
    neutral = present[labels == 0].sum(1).mean()
    assert float(neutral) < 0.5 < float(present[labels == CLASSES.index("fear")].sum(1).mean())


def test_landmarks_inside_the_image_and_moving_with_the_aus(faces):
    lm = faces.landmarks
    assert float(lm.min()) >= 0 and float(lm.max()) <= 47
    # relative to the nose, mouth corners sit higher when happy than when sad, and the
    # lips part further in surprise than in neutral, for (nearly) every subject
    corners = (lm[:, [48, 54], 1].mean(1) - lm[:, 33, 1]).numpy()
    opening = (lm[:, 66, 1] - lm[:, 62, 1]).numpy()
    brows = (lm[:, 33, 1] - lm[:, 17:27, 1].mean(1)).numpy()
    labels, subjects = faces.labels.numpy(), faces.subjects

    def per_subject(values, cls):
        return np.array([values[(labels == CLASSES.index(cls)) & (subjects == s)].mean()
                         for s in np.unique(subjects)])

    assert (per_subject(corners, "happy") < per_subject(corners, "sadness")).mean() > 0.9
    assert (per_subject(opening, "surprise") > per_subject(opening, "neutral")).mean() > 0.9
    assert (per_subject(brows, "surprise") > per_subject(brows, "anger")).mean() > 0.9


def test_landmarks_follow_the_drawn_face():
    fs = synthfer.load(subjects=4, per_class=1, image_size=96, difficulty="easy")
    img = fs.images[:, 0].float()
    rows = torch.arange(len(fs))
    # the pupils (centre of each eye's six points) are darker than the cheeks below them
    for eye, cheek_from in ((slice(36, 42), 41), (slice(42, 48), 46)):
        centre = fs.landmarks[:, eye].mean(1).round().long()
        cheek = (fs.landmarks[:, cheek_from] + fs.landmarks[:, 31]) / 2
        cheek = cheek.round().long()
        pupil = img[rows, centre[:, 1], centre[:, 0]]
        skin = img[rows, cheek[:, 1], cheek[:, 0]]
        assert float((pupil < skin).float().mean()) > 0.9


def test_render_pairs():
    source, target, truth = synthfer.render_pairs(6, image_size=32, seed=3)
    for images in (source, target, truth):
        assert images.shape == (6, 1, 32, 32) and images.dtype == torch.uint8
    again = synthfer.render_pairs(6, image_size=32, seed=3)
    assert all(torch.equal(x, y) for x, y in zip((source, target, truth), again, strict=True))
    # the truth is the target person with another expression: same background and noise in
    # the corners, different face; the source is another person
    assert bool((truth != target).flatten(1).any(1).all())
    corners = (slice(None), slice(None), slice(0, 3), slice(0, 3))
    assert torch.equal(truth[corners], target[corners])
    assert not torch.equal(truth[corners], source[corners])
    rgb = synthfer.render_pairs("2", channels=3, difficulty="easy")
    assert rgb[0].shape == (2, 3, 48, 48)
    with pytest.raises(UserError, match="synthfer option n: expected an integer"):
        synthfer.render_pairs("many")
