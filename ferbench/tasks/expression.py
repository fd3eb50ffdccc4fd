"""Expression recognition: one label per face, multiclass metrics, a confusion matrix."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import UserError
from .base import Column, Evaluation, Task

if TYPE_CHECKING:
    from ..data.faceset import FaceSet


def registered_metrics(registry, task: str, scores, targets, num_outputs: int) -> dict:
    """Every scalar or list metric registered for `task`, by name."""
    scores, targets = scores.float().cpu(), targets.cpu()
    return {spec.name: spec.fn()(scores, targets, num_outputs)
            for spec in registry.find("metrics") if task in spec.tasks}


class ExpressionTask(Task):
    name = "expression"
    summary = "One expression label per face (multiclass)"
    columns = (Column("accuracy", "accuracy %", percent=True),
               Column("macro_f1", "macro-F1 %", percent=True),
               Column("macro_auc", "macro AUC %", percent=True))
    detail_tables = (("per_class_recall", "per-class recall %"),)
    selection = "val_accuracy"

    def check(self, data: FaceSet) -> None:
        if not data.info.class_names or bool((data.labels < 0).any()):
            raise UserError(f"dataset {data.info.name} has no expression labels; "
                            "expected --task au or transfer")

    def targets(self, data: FaceSet):
        return data.labels

    def loss(self, hp: dict, train: FaceSet):
        from ..engine.optim import build_loss
        return build_loss(hp)

    def validation(self, scores, targets, hp: dict) -> dict[str, float]:
        return {"val_accuracy": (scores.argmax(1) == targets).float().mean().item()}

    def evaluate(self, method, test: FaceSet, ctx) -> Evaluation:
        scores = method.predict(test.images).float().cpu()
        metrics = registered_metrics(ctx.registry, self.name, scores, test.labels,
                                     test.info.num_classes)
        if "per_class_recall" in metrics:  # by class name, as the paper tables give it
            metrics["per_class_recall"] = dict(zip(test.info.class_names,
                                                   metrics["per_class_recall"], strict=True))
        return Evaluation(
            metrics=metrics,
            bookkeeping={"class_names": list(test.info.class_names), "n_test": len(test)},
            predictions={"scores": scores.numpy(), "targets": test.labels.numpy(),
                         "keys": test.keys})

    def plots(self, evaluation: Evaluation, info, folder, title: str) -> None:
        from ..results.plots import save_confusion_matrix
        matrix = evaluation.metrics.get("confusion_matrix")
        if matrix is not None:
            save_confusion_matrix(matrix, info.class_names, folder / "confusion.png",
                                  title=title)
