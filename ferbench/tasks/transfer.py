"""Expression transfer: generate the target person wearing the source person's expression.

Items are triples (source, target, truth) built inside each split part from pair keys, so
no test identity is trained on. A transfer Method gets dict batches (see `triple_fields`)
and returns uint8 images from `generate(batch)`; its inference module takes the target
image and the source's and target's landmark images stacked on channels (what is timed).

Metrics: SSIM and PSNR (data range 1 on [0, 1] images), L1, the 68-point landmark error
of the generated face (NME, inter-ocular), expression consistency (accuracy of a reference
expression classifier, a ferbench run on the same split, on the generated faces), Fréchet
distance and KID on that classifier's features (named for them, never FID), and FID / IS
only with user-supplied Inception weights.

predictions.npz holds the triples' `source_keys` and `target_keys` and, per triple, each
per-item metric as `<metric>_per_item` (ssim, psnr, l1, nme with NaN for a failed landmark
detection, expression_consistency 0/1 when a reference classifier ran); each scalar metric is
the mean of its per-item values (NME over the detected faces), which `ferbench compare`
bootstraps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import UserError
from .base import Column, Evaluation, Task

if TYPE_CHECKING:
    from ..data.faceset import FaceSet

GRID_ROWS = 8


class TransferTask(Task):
    name = "transfer"
    summary = "Target identity with the source's expression (source, target, truth)"
    columns = (Column("ssim", "SSIM"), Column("psnr", "PSNR dB"),
               Column("l1", "L1", higher_is_better=False),
               Column("nme", "NME (inter-ocular)", higher_is_better=False),
               Column("expression_consistency", "expr. consistency %", percent=True),
               Column("fd", "FD[{feature_extractor}]", higher_is_better=False),
               Column("kid", "KD[{feature_extractor}]", higher_is_better=False),
               Column("fid", "FID", higher_is_better=False))
    plot_artifacts = ("grid.png",)
    image_artifacts = ("grid.png",)
    selection = "val_ssim"

    def check(self, data: FaceSet) -> None:
        if data.pair_keys is None:
            raise UserError(f"dataset {data.info.name} has no pair keys (same person and "
                            "pose), so no transfer triple can be built")

    def targets(self, data: FaceSet):
        raise UserError("the transfer task trains Methods (ferbench.Method with "
                        "generate(batch)), not plain nn.Modules")

    def triples(self, faceset: FaceSet, seed: int, per_target: int = 1):
        import numpy as np

        from ..data.triples import build_triples
        return build_triples(faceset, np.arange(len(faceset)), per_target=per_target, seed=seed)

    def batches(self, ctx, faceset: FaceSet, train: bool, per_target: int = 1,
                batch_size: int | None = None):
        """Dict batches of triples of `faceset` (augmented identically across the images of
        a triple when `train`)."""
        from ..data.triples import triple_counts
        from .transfer_data import IMAGE_FIELDS, triple_fields, with_landmarks
        faceset = with_landmarks(faceset)
        triples = self.triples(faceset, ctx.seed, per_target)
        ctx.extra.setdefault("triples", {})[faceset.info.name + (":train" if train else "")] = \
            triple_counts(faceset, triples)
        fields = triple_fields(faceset, triples)
        if train:  # augmentation warps the images, not point coordinates: images only
            fields = {k: v for k, v in fields.items() if not k.endswith("_landmarks")}
        return ctx.batches(faceset, train, fields=fields, batch_size=batch_size,
                           augmented=IMAGE_FIELDS)

    def generate_all(self, method, fields: dict, batch: int = 64):
        import torch
        out = []
        for start in range(0, len(fields["source"]), batch):
            part = {k: v[start:start + batch] for k, v in fields.items()
                    if not k.startswith("truth")}  # nothing derived from the answer
            out.append(method.generate(part).cpu())
        return torch.cat(out)

    def evaluate(self, method, test: FaceSet, ctx) -> Evaluation:
        from ..data.face.image_landmarks import landmarks_of
        from ..data.show import triple_grid
        from ..data.triples import triple_counts
        from ..metrics import generation
        from ..metrics import image as image_metrics
        from .transfer_data import triple_fields, with_landmarks
        test = with_landmarks(test)
        triples = self.triples(test, ctx.seed)
        fields = triple_fields(test, triples)
        generated = self.generate_all(method, fields)
        truth = fields["truth"]
        truth_landmarks = triples.truth_of(test)[1]
        if truth_landmarks is None:
            truth_landmarks = test.landmarks[triples.truth]
        per_item = {"ssim": image_metrics.ssim_per_image(generated, truth),
                    "psnr": image_metrics.psnr_per_image(generated, truth),
                    "l1": image_metrics.l1_per_image(generated, truth),
                    "nme": image_metrics.nme_per_face(landmarks_of(generated), truth_landmarks)}
        nme, failed = image_metrics.mean_nme(per_item["nme"])
        metrics = {name: values.mean().item() for name, values in per_item.items()
                   if name != "nme"}
        metrics["nme"] = None if nme != nme else nme
        bookkeeping = {"triples_test": triple_counts(test, triples),
                       "triples": ctx.extra.get("triples", {}),
                       "nme_detection_failures": failed, "n_test": len(triples),
                       "psnr_cap_db": image_metrics.PSNR_CAP_DB, "ssim_data_range": 1.0}
        if ctx.reference is not None:
            judge, name = ctx.reference()
            scores = judge.predict(generated)
            labels = fields["source_label"]
            per_item["expression_consistency"] = (scores.argmax(1).cpu() == labels).float()
            metrics["expression_consistency"] = per_item["expression_consistency"].mean().item()
            extractor = judge.feature_extractor()
            real = generation.extract_features(extractor, test.images)
            fake = generation.extract_features(extractor, generated)
            metrics["fd"] = generation.frechet_distance(real, fake)
            metrics["kid"] = generation.kid(real, fake, subset_size=min(len(real), len(fake),
                                                                        1000))[0]
            bookkeeping["feature_extractor"] = name
        weights = generation.inception_weights()
        if weights is None:
            metrics["fid"] = None
            bookkeeping["fid"] = generation.NO_INCEPTION
        else:
            metrics["fid"] = generation.fid_with_inception(test.images, generated, weights[0])
            bookkeeping["inception_weights"] = {"path": str(weights[0]), "sha256": weights[1]}
        rows = [(fields["source"][i], fields["target"][i], generated[i], truth[i])
                for i in range(min(GRID_ROWS, len(generated)))]
        triple_grid(rows, ctx.artifacts / "grid.png")
        return Evaluation(metrics=metrics, bookkeeping=bookkeeping, predictions={
            "source_keys": test.keys[triples.source], "target_keys": test.keys[triples.target],
            **{f"{name}_per_item": values.numpy() for name, values in per_item.items()}})

    def example_input(self, info, batch: int):
        import torch
        gen = torch.Generator().manual_seed(0)
        shape = (batch, info.in_chans + 2, info.image_size, info.image_size)
        return torch.randint(0, 256, shape, dtype=torch.uint8, generator=gen)
