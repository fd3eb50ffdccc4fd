"""The task contract: what the runner and the leaderboard ask a task, so neither holds an
`if task == ...`.

A task says which FaceSet fields are its targets (and checks them), the loss and the
validation score of the standard loop, how a Method is evaluated on the test split, which
plots a run gets, the leaderboard columns and the example input that is timed.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..data.info import DatasetInfo

if TYPE_CHECKING:  # task modules import no torch until a run uses them (fast listings)
    from ..data.faceset import FaceSet


@dataclass(frozen=True)
class Column:
    """A leaderboard column: a scalar metrics key, its header, whether it is shown in percent
    and its direction. `ranked=False` columns (counts) are shown but never rank a table."""

    key: str
    header: str
    percent: bool = False
    higher_is_better: bool = True
    ranked: bool = True


@dataclass
class Evaluation:
    """A run's test-split result: `metrics` holds scores only; `bookkeeping` the counts and
    settings behind them (n_test, class names, AU codes, ...); `predictions` the arrays
    saved as predictions.npz (scores, targets, keys) for audits without retraining."""

    metrics: dict[str, Any]
    bookkeeping: dict[str, Any] = field(default_factory=dict)
    predictions: dict[str, Any] = field(default_factory=dict)


class Task:
    """Base class of a task. Subclasses set the class attributes and implement the methods."""

    name: str = ""
    summary: str = ""
    columns: tuple[Column, ...] = ()
    # metrics keys holding a {name: value} mapping shown as a table beneath the main one
    detail_tables: tuple[tuple[str, str], ...] = ()
    # artifact PNGs (file names in the run folder) the leaderboard links for each row
    plot_artifacts: tuple[str, ...] = ()
    # those of them that show dataset images: published only for freely licensed data
    image_artifacts: tuple[str, ...] = ()
    # the validation score that picks the best epoch in the standard loop (higher is better)
    selection: str = "val_score"

    def check(self, data: FaceSet) -> None:
        """Raise UserError when `data` lacks this task's targets."""
        raise NotImplementedError

    def model_info(self, info: DatasetInfo) -> DatasetInfo:
        """The DatasetInfo a model is built with (its `num_outputs` fits the task)."""
        return replace(info, task=self.name)

    def targets(self, data: FaceSet):
        """The target tensor of the standard loop."""
        raise NotImplementedError

    def loss(self, hp: dict, train: FaceSet):
        """loss(outputs, targets) -> scalar tensor for the standard loop."""
        raise NotImplementedError

    def activate(self, outputs):
        """Network outputs -> the scores `Method.predict` returns (identity by default)."""
        return outputs

    def validation(self, scores, targets, hp: dict) -> dict[str, float]:
        """Validation scores of the standard loop; must include `self.selection`."""
        raise NotImplementedError

    def evaluate(self, method, test: FaceSet, ctx) -> Evaluation:
        """Score a fitted Method on the test split."""
        raise NotImplementedError

    def plots(self, evaluation: Evaluation, info: DatasetInfo, folder: Path, title: str) -> None:
        """Write the run's plots into its artifacts folder."""

    def example_input(self, info: DatasetInfo, batch: int):
        """The input that is timed: `method.inference_module()(x)`, random uint8 by default."""
        import torch
        gen = torch.Generator().manual_seed(0)
        shape = (batch, info.in_chans, info.image_size, info.image_size)
        return torch.randint(0, 256, shape, dtype=torch.uint8, generator=gen)
