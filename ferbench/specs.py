"""Plugin specs: metadata plus a factory given as a callable or a lazy "module:attr" string.

Nothing here imports torch, so listing plugins stays fast.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


def resolve(factory: Callable | str) -> Callable:
    """Return the callable behind a factory, importing a "module:attr" string on demand."""
    if callable(factory):
        return factory
    module, _, attr = factory.partition(":")
    if not module or not attr:
        raise ValueError(f"factory {factory!r} must be a callable or 'module:attr'")
    obj = importlib.import_module(module)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


@dataclass(frozen=True)
class Reported:
    """A number a paper reports, printed beside the reproduced one."""

    dataset: str
    metric: str
    value: float
    source: str
    protocol: str = ""
    note: str = ""
    derived_aus: bool = False  # an AU number on AU labels derived from expression labels


@dataclass
class _Spec:
    name: str
    summary: str = ""
    tasks: tuple[str, ...] = ("expression",)
    plugin: str = ""  # distribution that registered the spec (filled by the registry)
    version: str = ""

    def __post_init__(self) -> None:
        self.tasks = tuple(self.tasks)


@dataclass
class TaskSpec:
    """A task (expression, au, transfer, ...): `create()` returns a `ferbench.tasks.Task`."""

    name: str
    factory: Callable | str = ""
    summary: str = ""
    plugin: str = ""
    version: str = ""

    def create(self):
        return resolve(self.factory)()


@dataclass
class DatasetSpec(_Spec):
    """A dataset: `load(root, **options) -> FaceSet` (root is None when not required)."""

    load: Callable | str = ""
    requires_root: bool = True
    default_protocol: str = "holdout"
    layout: str = ""  # expected files, shown when the root is missing or wrong
    licence: str = ""

    def loader(self) -> Callable:
        return resolve(self.load)


@dataclass
class ModelSpec(_Spec):
    """A model: `build(info, **options)` returns an nn.Module (logits) or a Method."""

    build: Callable | str = ""
    defaults: dict[str, Any] = field(default_factory=dict)
    # the model's own hyper-parameters beyond ferbench's (name -> default, typed by it),
    # e.g. {"lr_d": 1e-4, "n_critic": 5}; `-o lr_d=...` is validated against them
    hparams: dict[str, Any] = field(default_factory=dict)
    reported: list[Reported] = field(default_factory=list)
    paper: str = ""
    # a model this one is compared with pairwise (same splits and seeds) in every leaderboard
    # table holding both: an ablation of a paper's component, the classifier an augmentation
    # recipe adds to
    paired_with: str = ""
    # build options (name -> default) every leaderboard label names, given or not: a choice
    # the reader must see, such as an ambiguous layout of the paper
    shown_options: dict[str, Any] = field(default_factory=dict)

    def builder(self) -> Callable:
        return resolve(self.build)


@dataclass
class MetricSpec(_Spec):
    """A metric: `compute(scores, targets, num_classes) -> float | dict | list`."""

    compute: Callable | str = ""
    higher_is_better: bool = True
    scalar: bool = True  # False for confusion matrices and per-class lists

    def fn(self) -> Callable:
        return resolve(self.compute)
