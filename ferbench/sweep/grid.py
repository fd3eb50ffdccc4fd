"""Grids of runs: a YAML file or flags -> `Cell`s, one `ferbench run` (one fold, one seed)
each.

Grid file keys: models, datasets (lists of names), protocols (default: each dataset's
own), k (folds of kfold, default 10), folds ("all" or a list of fold numbers), seeds
(default [0]), options (key -> list of values, expanded as a cartesian product) and run
(key -> value, the same for every cell: epochs, threads, data_root, device, data.X ...).
"""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..config import RunConfig, apply_options, parse_assignments, read_yaml
from ..errors import UserError

FIELDS = ("models", "datasets", "protocols", "k", "folds", "seeds", "options", "run")
# run-level keys passed as `ferbench run` flags rather than `-o key=value`
FLAGS = {"data_root": "--data-root", "device": "--device", "threads": "--threads"}
# keys a grid sets through its own fields, never through options or run
OWN_FIELDS = {"model": "models", "dataset": "datasets", "protocol": "protocols",
              "fold": "folds", "folds": "folds", "seed": "seeds", "k": "k"}
NO_FOLDS = ("holdout",)  # protocols with one split: a cell runs it once, fold None


def _yaml_value(value: Any) -> str:
    """`value` as text that `-o key=value` parses back (as YAML) to the same value."""
    text = yaml.safe_dump(value, default_flow_style=True, width=2**31)
    return text.removesuffix("\n...\n").strip()


@dataclass
class Cell:
    """One `ferbench run`: a model on a dataset, one fold of one protocol, one seed."""

    model: str
    dataset: str
    protocol: str | None = None  # None: the dataset's default protocol
    fold: int | None = None
    seed: int = 0
    k: int | None = None
    options: dict[str, Any] = field(default_factory=dict)  # -o key=value, in order
    data_root: str | None = None
    device: str | None = None
    threads: int | None = None  # None: the executor decides

    def argv(self, threads: int | None = None) -> list[str]:
        """The `ferbench run` arguments; the cell's own threads win over `threads`."""
        args = ["--model", self.model, "--dataset", self.dataset, "--seed", str(self.seed)]
        for flag, value in (("--protocol", self.protocol), ("--k", self.k),
                            ("--fold", self.fold), ("--data-root", self.data_root),
                            ("--device", self.device), ("--threads", self.threads or threads)):
            if value is not None:
                args += [flag, str(value)]
        for key, value in self.options.items():
            args += ["-o", f"{key}={_yaml_value(value)}"]
        return args

    def config(self) -> RunConfig:
        """The RunConfig that `ferbench run` builds from `argv()`."""
        config = RunConfig(model=self.model, dataset=self.dataset)
        apply_options(config, dict(self.options), "-o")
        for key in ("protocol", "fold", "seed", "data_root", "device", "threads", "k"):
            if getattr(self, key) is not None:
                setattr(config, key, getattr(self, key))
        return config

    @property
    def label(self) -> str:
        parts = [self.model, self.dataset]
        if self.protocol:
            parts.append(self.protocol if self.fold is None else f"{self.protocol}[{self.fold}]")
        elif self.fold is not None:
            parts.append(f"fold {self.fold}")
        parts.append(f"seed {self.seed}")
        parts += [f"{key}={_yaml_value(value)}" for key, value in self.options.items()]
        return " ".join(parts)


def _names(value: Any, where: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or \
            not all(isinstance(v, str) and v for v in value):
        raise UserError(f"{where}: expected a name or a non-empty list of names, got {value!r}")
    return value


def _ints(value: Any, where: str, minimum: int) -> list[int]:
    if isinstance(value, int) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list) or not value or not all(
            isinstance(v, int) and not isinstance(v, bool) and v >= minimum for v in value):
        raise UserError(f"{where}: expected a non-empty list of integers >= {minimum}, "
                        f"got {value!r}")
    return value


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict) or not all(isinstance(key, str) for key in value):
        raise UserError(f"{where}: expected a mapping of option -> value, got {value!r}")
    for key in value:
        if key in OWN_FIELDS:
            raise UserError(f"{where}.{key}: set it with the grid's '{OWN_FIELDS[key]}' field")
    return value


def _check_option(key: str, value: Any, where: str) -> None:
    """The UserError `ferbench run` would give for `-o key=value`, raised now."""
    try:
        apply_options(RunConfig(model="-", dataset="-"), {key: value}, where)
    except UserError as exc:
        raise UserError(f"{where}.{key}: {exc}") from None


def _fold_list(folds: Any, protocol: str | None, k: int, where: str) -> list[int | None]:
    if folds is None or protocol in NO_FOLDS:
        return [None]
    if folds == "all":
        if protocol != "kfold":
            raise UserError(f"{where}: 'all' expands only for protocol kfold (k folds); "
                            f"list the folds to run for protocol {protocol or 'default'}")
        return list(range(k))
    return _ints(folds, where, 0)


def expand(fields: dict[str, Any], where: Callable[[str], str]) -> list[Cell]:
    """Cells of a grid given as a mapping of FIELDS; `where(field)` names a field in errors."""
    unknown = [key for key in fields if key not in FIELDS]
    if unknown:
        close = difflib.get_close_matches(unknown[0], FIELDS, n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        raise UserError(f"{where(unknown[0])}: unknown field; expected {', '.join(FIELDS)}{hint}")
    for required in ("models", "datasets"):
        if required not in fields:
            raise UserError(f"{where(required)}: required")
    models = _names(fields["models"], where("models"))
    datasets = _names(fields["datasets"], where("datasets"))
    protocols = _names(fields["protocols"], where("protocols")) \
        if fields.get("protocols") is not None else [None]
    k = _ints(fields.get("k", 10), where("k"), 2)
    if len(k) > 1:
        raise UserError(f"{where('k')}: expected one integer, got {fields['k']!r}")
    seeds = _ints(fields.get("seeds", [0]), where("seeds"), 0)
    folds = fields.get("folds")
    if folds is not None and fields.get("protocols") is None:
        raise UserError(f"{where('folds')}: needs protocols (folds belong to a protocol)")
    varied = _mapping(fields.get("options") or {}, where("options"))
    for key, values in varied.items():
        if not isinstance(values, list) or not values:
            raise UserError(f"{where('options')}.{key}: expected a non-empty list of values, "
                            f"got {values!r}")
        for value in values:
            _check_option(key, value, where("options"))
    fixed = dict(_mapping(fields.get("run") or {}, where("run")))
    both = sorted(set(fixed) & set(varied))
    if both:
        raise UserError(f"{where('run')}.{both[0]}: also varied under options; set it in one")
    flags = {key: fixed.pop(key) for key in FLAGS if key in fixed}
    for key, value in {**fixed, **flags}.items():
        _check_option(key, value, where("run"))
    if flags.get("threads") is not None:
        _ints(flags["threads"], f"{where('run')}.threads", 1)
    cells: dict[tuple, Cell] = {}
    for model, dataset, protocol, seed in itertools.product(models, datasets, protocols, seeds):
        for fold in _fold_list(folds, protocol, k[0], where("folds")):
            for values in itertools.product(*varied.values()):
                cell = Cell(model=model, dataset=dataset, protocol=protocol, fold=fold,
                            seed=seed, k=k[0] if "k" in fields else None,
                            options={**fixed, **dict(zip(varied, values, strict=True))},
                            **flags)
                cells.setdefault(tuple(cell.argv()), cell)
    return list(cells.values())


def load_grid(path: str | Path) -> list[Cell]:
    """The cells of the grid file at `path`; UserError naming the file and field."""
    data = read_yaml(str(path), label=str(path), what="grid")
    return expand(data, lambda key: f"{path}: {key}")


FLAG_NAMES = {"models": "--model", "datasets": "--dataset", "protocols": "--protocol",
              "k": "--k", "folds": "--folds", "seeds": "--seeds", "options": "--vary",
              "run": "-o"}


def _number_list(text: str | None, flag: str) -> list[int] | None:
    if text is None:
        return None
    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise UserError(f"{flag}: expected comma-separated integers, got {text!r}") from None


def grid_from_flags(models: Iterable[str], datasets: Iterable[str], *,
                    protocols: Iterable[str] = (), folds: str | None = None,
                    seeds: str | None = None, k: int | None = None,
                    vary: Iterable[str] = (), options: Iterable[str] = (),
                    threads: int | None = None, data_root: str | None = None,
                    device: str | None = None) -> list[Cell]:
    """Cells from `ferbench sweep` flags: repeated --model/--dataset/--protocol, --folds
    all|0,1,2, --seeds 0,1,2, --vary 'key=[v1, v2]' (repeatable), -o key=value."""
    fields: dict[str, Any] = {"models": list(models), "datasets": list(datasets)}
    if protocols:
        fields["protocols"] = list(protocols)
    if folds is not None:
        fields["folds"] = folds if folds == "all" else _number_list(folds, "--folds")
    if seeds is not None:
        fields["seeds"] = _number_list(seeds, "--seeds")
    if k is not None:
        fields["k"] = k
    if vary:
        fields["options"] = parse_assignments(list(vary))
    run = parse_assignments(list(options))
    run.update({key: value for key, value in (("threads", threads), ("data_root", data_root),
                                              ("device", device)) if value is not None})
    if run:
        fields["run"] = run
    return expand(fields, lambda key: FLAG_NAMES[key])
