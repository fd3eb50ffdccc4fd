"""AU detection: multi-label action units in one fixed AU-code vocabulary, unknown labels
(255) masked out of loss and metrics; per-AU F1 / ROC AUC and their means."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import UserError
from .base import Column, Evaluation, Task

if TYPE_CHECKING:
    from ..data.faceset import FaceSet

def au_names(info) -> list[str]:
    return [f"AU{code}" for code in info.au_codes]


class AUTask(Task):
    name = "au"
    summary = "Facial action units (multi-label, unknown labels masked)"
    columns = (Column("mean_f1", "mean F1 %", percent=True),
               Column("mean_auc", "mean AUC %", percent=True),
               Column("aus_averaged", "AUs in AUC mean", ranked=False))
    detail_tables = (("per_au_f1", "per-AU F1 %"), ("per_au_auc", "per-AU ROC AUC %"))
    plot_artifacts = ("au_f1.png", "au_roc.png")
    selection = "val_mean_f1"

    def check(self, data: FaceSet) -> None:
        if data.au_presence is None or not data.info.au_codes:
            raise UserError(f"dataset {data.info.name} has no AU labels; expected a FACS-coded "
                            "dataset or -o data.aus_from_emotion=true to derive them from "
                            "expression labels")

    def targets(self, data: FaceSet):
        return data.au_presence

    def loss(self, hp: dict, train: FaceSet):
        import torch

        from ..metrics import au as au_metrics
        from .au_training import MaskedBCE
        weight = None
        if hp.get("pos_weight"):
            rates = torch.tensor([r if r else 0.5 for r in
                                  au_metrics.positive_rates(train.au_presence)])
            weight = ((1 - rates) / rates.clamp_min(1e-3)).clamp(max=100.0)
        return MaskedBCE(weight)

    def activate(self, outputs):
        return outputs.float().sigmoid()

    def validation(self, scores, targets, hp: dict) -> dict[str, float]:
        from ..metrics import au as au_metrics
        value = au_metrics.mean_f1(scores.cpu(), targets.cpu(), scores.shape[1])
        return {"val_mean_f1": 0.0 if value is None else value}

    def evaluate(self, method, test: FaceSet, ctx) -> Evaluation:
        import torch

        from ..metrics import au as au_metrics
        from .au_training import tune_thresholds
        names = au_names(test.info)
        scores = method.predict(test.images).float().cpu()
        targets = test.au_presence
        thresholds = torch.full((len(names),), 0.5)
        if ctx.hparams.get("au_thresholds") == "val":
            val = ctx.dataset("val")
            thresholds = tune_thresholds(method.predict(val.images).float().cpu(),
                                         val.au_presence)
        f1 = au_metrics.per_au_f1(scores, targets, len(names), thresholds)
        auc = au_metrics.per_au_auc(scores, targets, len(names))
        defined_auc = [a for a in auc if a is not None]
        defined_f1 = [f for f in f1 if f is not None]
        metrics = {
            "mean_f1": sum(defined_f1) / len(defined_f1) if defined_f1 else None,
            "mean_auc": sum(defined_auc) / len(defined_auc) if defined_auc else None,
            "aus_averaged": len(defined_auc),
            "per_au_f1": dict(zip(names, f1, strict=True)),
            "per_au_auc": dict(zip(names, auc, strict=True))}
        train_rates = au_metrics.positive_rates(ctx.dataset("train").au_presence)
        bookkeeping = {
            "au_codes": list(test.info.au_codes), "n_test": len(test),
            "thresholds": dict(zip(names, thresholds.tolist(), strict=True)),
            "threshold_mode": ctx.hparams.get("au_thresholds", "fixed"),
            "derived_aus": bool(test.info.extra.get("derived_aus", False)),
            "positive_rate_train": dict(zip(names, train_rates, strict=True)),
            "positive_rate_test": dict(zip(names, au_metrics.positive_rates(targets),
                                           strict=True))}
        return Evaluation(metrics=metrics, bookkeeping=bookkeeping,
                          predictions={"scores": scores.numpy(), "targets": targets.numpy(),
                                       "keys": test.keys, "thresholds": thresholds.numpy()})

    def plots(self, evaluation: Evaluation, info, folder, title: str) -> None:
        from ..results.au_plots import save_au_f1_bars, save_au_roc
        save_au_f1_bars(evaluation.metrics["per_au_f1"], folder / "au_f1.png", title)
        save_au_roc(evaluation.predictions["scores"], evaluation.predictions["targets"],
                    au_names(info), folder / "au_roc.png", title)
