"""`DatasetInfo`: what a model needs to know about a dataset (no torch import)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    class_names: tuple[str, ...]
    in_chans: int = 1
    image_size: int = 48
    tasks: tuple[str, ...] = ("expression",)
    num_subjects: int | None = None
    au_codes: tuple[int, ...] = ()  # FACS AU numbers of the AU label columns
    source: str = ""
    licence: str = ""
    extra: dict = field(default_factory=dict, compare=False)
    task: str = "expression"  # the task a model is built for (set by the runner)

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def num_aus(self) -> int:
        return len(self.au_codes)

    @property
    def num_outputs(self) -> int:
        """Outputs of a model for `task`: one per AU for 'au', one per class otherwise."""
        return self.num_aus if self.task == "au" else self.num_classes
