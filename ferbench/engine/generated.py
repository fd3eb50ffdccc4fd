"""Generated-data augmentation (`-o augment.generator=dcgan|wgan-gp|cgan`): per-class GANs
(or one conditional GAN) trained on the training split of the fold, or on the pretraining
set, add `augment.generated_per_class` images per class to the training set only —
validation and test stay real. Each generator is a cached stage keyed by its exact data and
recipe, so it is trained once per fold's training data and reused across classifiers.

After evaluation, `generation_report` compares each class's generated images with that
class's real test images on the features of the run's reference classifier (FD[...] and
KD[...], never called FID), plus real FID and IS when Inception weights are supplied.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

import numpy as np
import torch

from ..data.faceset import FaceSet
from ..errors import UserError
from ..metrics.generation import (
    NO_INCEPTION,
    extract_features,
    fd_name,
    fid_with_inception,
    frechet_distance,
    inception_score,
    inception_weights,
    kd_name,
    kid,
)
from ..models.gan_nets import DCGANGenerator, to_uint8
from ..models.gan_training import build_generator, drawable, gan_kind, resize_uint8, train_gan
from ..results.curves import save_sample_grid

DEFAULT_PER_CLASS = 1000  # paper 002: 1,000 generated images per expression
GRID_PER_CLASS = 8
KID_SUBSET = 1000


@dataclass
class ClassGenerator:
    """The generator that draws class `label` (`conditional`: given the label), and whose
    faces it was trained on (dataset name and subjects), for the leak checks."""

    generator: DCGANGenerator
    label: int
    conditional: bool
    dataset: str
    subjects: frozenset[str]
    seed: int

    @torch.no_grad()
    def draw(self, n: int, like: FaceSet, batch_size: int = 256) -> torch.Tensor:
        """`n` uint8 images in the format of `like` (channels, height, width), the same
        images on every call."""
        G = self.generator.eval()
        device = next(G.parameters()).device
        noise = torch.Generator().manual_seed(self.seed * 1000 + self.label)
        out = []
        for start in range(0, n, batch_size):
            z = torch.randn(min(batch_size, n - start), G.z_dim, generator=noise).to(device)
            y = torch.full((len(z),), self.label, device=device) if self.conditional else None
            out.append(to_uint8(G(z) if y is None else G(z, y)).cpu())
        return resize_uint8(torch.cat(out), tuple(like.images.shape[-2:]))


def _options(ctx) -> tuple[str, int, str]:
    augment = ctx.hparams.get("augment") or {}
    kind, data = augment["generator"], augment.get("generator_data", "train")
    gan_kind(kind)
    per_class = int(augment.get("generated_per_class", DEFAULT_PER_CLASS))
    if per_class < 1:
        raise UserError(f"option augment.generated_per_class: expected >= 1 with "
                        f"augment.generator, got {per_class}")
    return kind, per_class, data


def _in_format(images: torch.Tensor, chans: int) -> torch.Tensor:
    """uint8 images with `chans` channels (RGB averaged to gray, gray repeated to RGB)."""
    if images.shape[1] == chans:
        return images
    if chans == 1:
        return images.float().mean(1, keepdim=True).round().to(torch.uint8)
    return images.expand(-1, chans, -1, -1).contiguous()


def _gan_size(ctx, train: FaceSet) -> int:
    """`gan_size`, else the dataset's image size when a DCGAN can draw it, else 64."""
    size = ctx.hparams.get("gan_size")
    if size and not drawable(size):
        raise UserError(f"option gan_size: expected 3 * 2^k or 4 * 2^k with k >= 3 (24, 32, 48, "
                        f"64, 96 ...), got {size}")
    if size:
        return size
    side = train.images.shape[-1]
    return side if drawable(side) else 64


def _images_hash(images: torch.Tensor) -> str:
    return hashlib.sha256(images.contiguous().numpy().tobytes()).hexdigest()[:16]


def _check_unseen(source: FaceSet, held_out: FaceSet, role: str) -> None:
    """AssertionError when a generator's data holds a subject of the held-out role."""
    if source.info.name != held_out.info.name:
        return
    leaked = set(source.subjects.tolist()) & set(held_out.subjects.tolist())
    if leaked:
        raise AssertionError(f"generator training data holds {role} subjects "
                             f"{sorted(leaked)[:5]}")


def _source(train: FaceSet, ctx, data: str) -> FaceSet:
    """The faces the generators learn from: the training split, or the pretraining set;
    asserted free of validation (and test) subjects."""
    if data not in ("train", "pretrain"):
        raise UserError(f"option augment.generator_data: expected train or pretrain, got "
                        f"{data!r}")
    source = train if data == "train" else ctx.dataset("pretrain")
    for role in ("val", "test"):
        if role in ctx.roles:
            _check_unseen(source, ctx.roles[role], role)
    return source


def _train_or_load(ctx, kind: str, subset: FaceSet, labels: torch.Tensor | None,
                   name: str, recipe: dict, num_classes: int) -> tuple[DCGANGenerator, bool]:
    """A generator from the stage cache, or trained and stored. True when reused."""
    stage = ctx.cached_stage(f"gan-{kind}-{name}", {
        "data": ctx.manifest(subset), "images": _images_hash(subset.images), "recipe": recipe})
    generator = build_generator(kind, recipe["chans"], recipe["size"], recipe["width"],
                                num_classes)
    if stage.load({"generator": generator}):
        ctx.log(f"{stage.name}: reusing the cached generator {stage.path}")
        return generator.to(ctx.device).eval(), True
    generator = train_gan(
        ctx, _in_format(subset.images, recipe["chans"]), labels, kind=kind,
        size=recipe["size"], epochs=recipe["epochs"], batch_size=recipe["batch_size"],
        lr=recipe["lr"], width=recipe["width"], num_classes=num_classes, stage=stage.name)
    stage.save({"generator": generator})
    return generator, False


def add_generated(train: FaceSet, ctx) -> FaceSet:
    """The training FaceSet with `augment.generated_per_class` generated samples per class
    appended (subjects "generated:<class>", keys "generated/<class>/<i>"). Records the counts
    in `ctx.extra["generated"]`, keeps the generators in `ctx.extra["generators"]` and
    saves `generated-grid.png` (one row per class) in the artifacts."""
    kind, per_class, data = _options(ctx)
    source = _source(train, ctx, data)
    hp, names = ctx.hparams, train.info.class_names
    recipe = {"kind": kind, "size": _gan_size(ctx, train), "chans": train.images.shape[1],
              "width": hp.get("gan_width", 64), "epochs": hp.get("gan_epochs", 25),
              "batch_size": hp.get("gan_batch_size", 64),
              "lr": hp.get("gan_lr") or gan_kind(kind).lr, "seed": ctx.seed}
    wanted = [name for name in names if name in source.info.class_names]
    if len(wanted) < len(names):
        missing = [name for name in names if name not in wanted]
        ctx.log(f"generated data: the {data} set has no {', '.join(missing)} faces; none "
                "generated for them")
    source_label = {name: source.info.class_names.index(name) for name in wanted}
    trained: dict[str, ClassGenerator] = {}
    reused = 0
    if gan_kind(kind).conditional:
        keep = np.isin(source.labels.numpy(), [source_label[n] for n in wanted])
        subset = source.subset(keep)
        labels = torch.tensor([names.index(source.info.class_names[i])
                               for i in subset.labels.tolist()], dtype=torch.long)
        generator, was_cached = _train_or_load(ctx, kind, subset, labels, "all", recipe,
                                               len(names))
        reused += was_cached
        for name in wanted:
            if (labels == names.index(name)).any():
                trained[name] = ClassGenerator(generator, names.index(name), True,
                                               source.info.name, frozenset(subset.subjects),
                                               ctx.seed)
    else:
        for name in wanted:
            subset = source.subset((source.labels == source_label[name]).numpy())
            if len(subset) < 2:
                ctx.log(f"generated data: class {name} has {len(subset)} training image(s); "
                        "no generator trained for it")
                continue
            generator, was_cached = _train_or_load(ctx, kind, subset, None, name, recipe, 0)
            reused += was_cached
            trained[name] = ClassGenerator(generator, names.index(name), False,
                                           source.info.name, frozenset(subset.subjects),
                                           ctx.seed)
    drawn = {name: source_gen.draw(per_class, train) for name, source_gen in trained.items()}
    ctx.extra["generators"] = trained
    ctx.extra["generated"] = {**{name: len(drawn.get(name, ())) for name in names},
                              "generator": kind, "data": data, "cached": reused}
    _save_grid(drawn, ctx)
    ctx.log(f"generated data: {per_class} {kind} images for each of {len(drawn)} classes "
            f"({reused} generator(s) from the stage cache)")
    return _appended(train, drawn)


def _save_grid(drawn: dict[str, torch.Tensor], ctx) -> None:
    per_row = min([GRID_PER_CLASS] + [len(images) for images in drawn.values()])
    if per_row:
        rows = torch.cat([images[:per_row] for images in drawn.values()])
        save_sample_grid(rows, ctx.artifacts / "generated-grid.png", nrow=per_row)


def _appended(train: FaceSet, drawn: dict[str, torch.Tensor]) -> FaceSet:
    """`train` followed by the generated images, their fields filled as 'unknown'."""
    if not drawn:
        return train
    names = train.info.class_names
    images = torch.cat(list(drawn.values()))
    n = len(images)
    labels = torch.cat([torch.full((len(v),), names.index(k)) for k, v in drawn.items()])
    subjects = np.concatenate([[f"generated:{k}"] * len(v) for k, v in drawn.items()])
    keys = np.concatenate([[f"generated/{k}/{i}" for i in range(len(v))]
                           for k, v in drawn.items()])

    def extend(value, fill):
        if value is None:
            return None
        if isinstance(value, torch.Tensor):
            return torch.cat([value, torch.full((n, *value.shape[1:]), fill, dtype=value.dtype)])
        return np.concatenate([value, np.full(n, fill)])

    soft = None
    if train.soft_labels is not None:
        soft = torch.cat([train.soft_labels, torch.nn.functional.one_hot(
            labels, len(names)).to(train.soft_labels.dtype)])
    return replace(
        train, images=torch.cat([train.images, images]),
        labels=torch.cat([train.labels, labels.to(train.labels.dtype)]),
        subjects=np.concatenate([train.subjects, subjects]),
        keys=np.concatenate([train.keys, keys]),
        official_split=extend(train.official_split, "train"),
        au_presence=extend(train.au_presence, 255),
        au_intensity=extend(train.au_intensity, float("nan")),
        landmarks=extend(train.landmarks, float("nan")), soft_labels=soft,
        pair_keys=None if train.pair_keys is None else np.concatenate([train.pair_keys, keys]),
        official_fold=extend(train.official_fold, -1), skipped=[])


def _distances(real: torch.Tensor, fake: torch.Tensor, features: str) -> dict:
    """FD and KD (mean, std) of two feature sets, None where a set has under 2 rows."""
    if min(len(real), len(fake)) < 2:
        return {fd_name(features): None, kd_name(features): None,
                f"{kd_name(features)} std": None}
    mean, std = kid(real, fake, subset_size=min(KID_SUBSET, len(real), len(fake)))
    return {fd_name(features): frechet_distance(real, fake), kd_name(features): mean,
            f"{kd_name(features)} std": std}


def _inception_scores(real: torch.Tensor, fake: torch.Tensor, weights) -> dict:
    if weights is None:
        return {"FID": NO_INCEPTION, "IS": NO_INCEPTION}
    return {"FID": fid_with_inception(real, fake, weights[0]) if len(real) >= 2 else None,
            "IS": inception_score(fake, weights[0], splits=min(10, len(fake)))[0]}


def generation_report(ctx, test: FaceSet) -> tuple[dict, dict]:
    """Judge the generators of `add_generated` against the real test images: per class,
    FD and KD on the features of the run's reference classifier (plus FID and IS with
    Inception weights); overall FD/KD over all classes as the metrics gen_fd and gen_kid.
    Returns (metrics, bookkeeping); asserts no generator saw a test subject."""
    generators: dict[str, ClassGenerator] = ctx.extra["generators"]
    for generator in generators.values():
        leaked = generator.subjects & set(test.subjects.tolist()) \
            if generator.dataset == test.info.name else set()
        if leaked:
            raise AssertionError(f"a generator was trained on test subjects "
                                 f"{sorted(leaked)[:5]}")
    judge, features = ctx.reference()
    extractor = judge.feature_extractor()
    weights = inception_weights()
    per_class, reals, fakes = {}, [], []
    for name, generator in generators.items():
        real = test.images[test.labels == generator.label]
        fake = generator.draw(ctx.extra["generated"][name], test)
        fake_feats = extract_features(extractor, fake)
        real_feats = extract_features(extractor, real) if len(real) else fake_feats[:0]
        reals.append(real_feats)
        fakes.append(fake_feats)
        per_class[name] = {"n_real": len(real), "n_generated": len(fake),
                           **_distances(real_feats, fake_feats, features),
                           **_inception_scores(real, fake, weights)}
    overall = _distances(torch.cat(reals), torch.cat(fakes), features)
    bookkeeping = {"generated": ctx.extra["generated"], "generation": per_class,
                   "generation_features": features,
                   "generation_overall": overall}
    if weights is not None:
        bookkeeping["inception_weights"] = {"path": str(weights[0]), "sha256": weights[1]}
    return ({"gen_fd": overall[fd_name(features)], "gen_kid": overall[kd_name(features)]},
            bookkeeping)
