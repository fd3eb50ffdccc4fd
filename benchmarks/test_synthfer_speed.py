"""synthfer generation speed on one CPU thread (images per second in extra_info)."""

import pytest

from ferbench.data import synthfer

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.mark.parametrize("image_size, channels", [(48, 1), (48, 3), (96, 1)])
def test_load_speed(benchmark, image_size, channels):
    faces = benchmark.pedantic(synthfer.load, kwargs={
        "subjects": 16, "per_class": 8, "image_size": image_size, "channels": channels},
        rounds=3, warmup_rounds=1)
    benchmark.extra_info["images"] = len(faces)
    benchmark.extra_info["images_per_s"] = round(len(faces) / benchmark.stats.stats.min)


def test_render_pairs_speed(benchmark):
    triples = benchmark.pedantic(synthfer.render_pairs, args=(256,), rounds=3, warmup_rounds=1)
    images = 3 * len(triples[0])
    benchmark.extra_info["images"] = images
    benchmark.extra_info["images_per_s"] = round(images / benchmark.stats.stats.min)
