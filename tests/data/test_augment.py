"""BatchAugment: kornia warps with per-sample parameters from a seeded generator."""

import pytest
import torch

from ferbench.data.augment import AugmentParams, BatchAugment
from ferbench.errors import UserError

SIZE = 32


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def squares(batch: int, dtype=torch.uint8, top: int = 12, left: int = 12,
            side: int = 8) -> torch.Tensor:
    """A bright side x side square on black, (batch, 1, SIZE, SIZE)."""
    x = torch.zeros(batch, 1, SIZE, SIZE, dtype=dtype)
    x[:, :, top:top + side, left:left + side] = 255
    return x


def centroid(x: torch.Tensor) -> torch.Tensor:
    """Intensity-weighted (x, y) centre of each image of a (B, 1, H, W) batch."""
    w = x.double()[:, 0]
    ys, xs = torch.meshgrid(torch.arange(SIZE, dtype=torch.float64),
                            torch.arange(SIZE, dtype=torch.float64), indexing="ij")
    mass = w.sum((1, 2))
    return torch.stack([(w * xs).sum((1, 2)) / mass, (w * ys).sum((1, 2)) / mass], 1)


def params(batch: int, flip=False, angle=0.0, shift=(0.0, 0.0), scale=1.0) -> AugmentParams:
    return AugmentParams(torch.full((batch,), flip), torch.full((batch,), float(angle)),
                         torch.tensor([shift] * batch, dtype=torch.float32),
                         torch.full((batch,), float(scale)))


def test_empty_config_is_falsy_and_identity():
    aug = BatchAugment({})
    assert not aug and BatchAugment({"hflip": True}) and BatchAugment({"zoom": 0.1})
    x = squares(2)
    assert aug(x)[0] is x


def test_unknown_key_is_a_user_error():
    with pytest.raises(UserError, match="augment.flip"):
        BatchAugment({"flip": True})


def test_hflip_mirrors_exactly_the_drawn_samples():
    aug = BatchAugment({"hflip": True})
    x = squares(16, left=2)
    p = aug.sample(16, torch.Generator().manual_seed(0))
    assert 0 < p.flip.sum() < 16
    (out,) = aug(x, generator=torch.Generator().manual_seed(0))
    assert out.dtype == torch.uint8
    assert torch.equal(out[p.flip], x[p.flip].flip(-1))
    assert torch.equal(out[~p.flip], x[~p.flip])


def test_shift_moves_the_square_by_the_drawn_fraction():
    aug = BatchAugment({"shift": 0.25})
    x = squares(8, dtype=torch.float32)
    p = aug.sample(8, torch.Generator().manual_seed(1))
    assert p.shift.abs().max() <= 0.25 and p.shift.abs().max() > 0.1
    (out,) = aug(x, generator=torch.Generator().manual_seed(1))
    moved = centroid(out) - centroid(x)
    torch.testing.assert_close(moved, p.shift.double() * SIZE, atol=1e-3, rtol=0)


def test_fixed_shift_moves_whole_pixels():
    aug = BatchAugment({"shift": 0.25})
    (out,) = aug.apply([squares(1)], params(1, shift=(0.25, -0.125)))
    assert torch.equal(out, squares(1, top=12 - 4, left=12 + 8))


@pytest.mark.parametrize("angle, turns", [(90.0, -1), (-90.0, 1)])
def test_rotate_90_matches_rot90(angle, turns):
    aug = BatchAugment({"rotate": 90})
    x = squares(2, left=2)
    (out,) = aug.apply([x], params(2, angle=angle))
    assert torch.equal(out, torch.rot90(x, turns, dims=(2, 3)))  # positive angle: clockwise


def test_rotate_draws_within_range():
    aug = BatchAugment({"rotate": 30})
    angle = aug.sample(2000, torch.Generator().manual_seed(0)).angle
    assert angle.min() >= -30 and angle.max() <= 30 and angle.abs().max() > 29


def test_zoom_scales_the_square_about_the_centre():
    aug = BatchAugment({"zoom": 1.0})
    assert aug.scale_range == (0.05, 2.0)  # as train_transform: at least 5 %
    (out,) = aug.apply([squares(1)], params(1, scale=2.0))
    assert torch.equal(out > 127, squares(1, top=8, left=8, side=16) > 0)  # bilinear edges
    aug = BatchAugment({"zoom": 0.5})
    p = aug.sample(8, torch.Generator().manual_seed(3))
    assert p.scale.min() >= 0.5 and p.scale.max() <= 1.5 and p.scale.std() > 0.1
    (out,) = aug.apply([squares(8, top=8, left=8, side=16)], p)
    width = (out[:, 0, SIZE // 2] > 127).sum(1)  # bright pixels across the middle row
    assert ((width - 16 * p.scale).abs() <= 1).all()


def test_same_parameters_for_every_tensor_of_a_call():
    aug = BatchAugment({"hflip": True, "shift": 0.1, "rotate": 15, "zoom": 0.2})
    source = torch.randint(0, 256, (6, 1, SIZE, SIZE), dtype=torch.uint8)
    target = source.expand(-1, 3, -1, -1).float()
    small = source[:, :, ::2, ::2].contiguous()
    a, b, c = aug(source, target, small, generator=torch.Generator().manual_seed(5))
    assert (a.dtype, b.dtype, c.dtype) == (torch.uint8, torch.float32, torch.uint8)
    assert torch.equal(a.expand(-1, 3, -1, -1).float(), b.round())
    p = aug.sample(6, torch.Generator().manual_seed(5))
    assert torch.equal(c, aug.apply([small], p)[0])  # other size: same draws
    assert not torch.equal(a, source)


def test_deterministic_under_the_generator_seed():
    aug = BatchAugment({"hflip": True, "shift": 0.1, "rotate": 10, "zoom": 0.1})
    x = torch.randint(0, 256, (8, 1, SIZE, SIZE), dtype=torch.uint8)
    first = aug(x, generator=torch.Generator().manual_seed(7))[0]
    again = aug(x, generator=torch.Generator().manual_seed(7))[0]
    other = aug(x, generator=torch.Generator().manual_seed(8))[0]
    assert torch.equal(first, again) and not torch.equal(first, other)


def test_mismatched_batches_are_rejected():
    aug = BatchAugment({"hflip": True})
    with pytest.raises(ValueError, match="B=2"):
        aug(squares(2), squares(3))
