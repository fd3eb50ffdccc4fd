"""RunConfig: what to run, validated from flags, `-o key=value` options and YAML files.

Precedence, lowest first: the model spec's defaults, the YAML file, `-o` options, flags.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import UserError

CHOICES = {
    "optimizer": ("adam", "adamw", "sgd"),
    "schedule": ("cosine", "step_table", "poly", "constant"),
    "normalize": ("dataset", "per_image", "none"),
    "au_thresholds": ("fixed", "val"),
    "augment.generator": ("dcgan", "wgan-gp", "cgan"),
    "augment.generator_data": ("train", "pretrain"),
}
# augment.<key> -> type; generator, generated_per_class and generator_data add GAN-generated
# training images (ferbench.engine.generated), the others are BatchAugment's
AUGMENT_KEYS = {"hflip": bool, "shift": float, "rotate": float, "zoom": float,
                "generator": str, "generated_per_class": int, "generator_data": str}
# hyper-parameter -> (type, minimum); the runner's training recipe
HPARAMS: dict[str, tuple[type, float | None]] = {
    "epochs": (int, 1), "batch_size": (int, 1), "lr": (float, 0), "weight_decay": (float, 0),
    "momentum": (float, 0), "optimizer": (str, None), "schedule": (str, None),
    "lr_table": (list, None), "lr_table_epochs": (int, 1), "poly_power": (float, 0),
    "loss": (str, None), "label_smoothing": (float, 0), "augment": (dict, None),
    "normalize": (str, None), "input_size": (int, 8), "in_chans": (int, 1),
    "workers": (int, 0), "amp": (bool, None), "channels_last": (bool, None),
    "betas": (list, None), "pos_weight": (bool, None), "au_thresholds": (str, None),
    "reference_model": (str, None), "reference_epochs": (int, 1),
    "gan_epochs": (int, 1), "gan_batch_size": (int, 2), "gan_lr": (float, 0),
    "gan_size": (int, 24), "gan_width": (int, 1),
}
BASE_HPARAMS: dict[str, Any] = {
    "epochs": 10, "batch_size": 64, "lr": 1e-3, "weight_decay": 0.0, "momentum": 0.9,
    "optimizer": "adamw", "schedule": "cosine", "lr_table": [], "lr_table_epochs": None,
    "poly_power": 0.9, "loss": "cross_entropy", "label_smoothing": 0.0, "augment": {},
    "normalize": "dataset", "input_size": None, "in_chans": None, "workers": 0,
    "amp": True, "channels_last": True, "betas": [0.9, 0.999], "pos_weight": False,
    "au_thresholds": "fixed",
    # the expression classifier behind a transfer run's expression consistency and FD/KID
    "reference_model": "resnet18", "reference_epochs": None,
    # the generators of augment.generator: gan_lr None and gan_size None mean the GAN kind's
    # published lr and the dataset's image size (64 where a DCGAN cannot draw it)
    "gan_epochs": 25, "gan_batch_size": 64, "gan_lr": None, "gan_size": None, "gan_width": 64,
}
RUN_FIELDS = ("model", "dataset", "task", "data_root", "protocol", "k", "fold", "folds", "seed",
              "device", "threads", "strict", "deterministic", "train_dataset", "test_dataset",
              "pretrain_dataset", "model_options", "data_options", "pretrain_options")


RUN_FIELD_TYPES = {"k": int, "fold": int, "seed": int, "threads": int, "folds": bool,
                   "strict": bool, "deterministic": bool}


@dataclass
class RunConfig:
    model: str
    dataset: str
    task: str | None = None  # None: the first task that model and dataset both support
    data_root: str | None = None
    protocol: str | None = None  # None: the dataset's default protocol
    k: int = 10
    fold: int | None = None  # None with folds=False: the first fold only
    folds: bool = False  # run every fold
    seed: int = 0
    device: str = "auto"
    threads: int | None = None  # CPU threads for torch (None: torch's default)
    strict: bool = False
    deterministic: bool = False  # deterministic algorithms, no cudnn.benchmark
    train_dataset: str | None = None  # cross-dataset: train on this, test on `test_dataset`
    test_dataset: str | None = None
    pretrain_dataset: str | None = None  # an auxiliary dataset handed to the method
    hparams: dict[str, Any] = field(default_factory=dict)  # overrides of the spec defaults
    model_options: dict[str, Any] = field(default_factory=dict)
    data_options: dict[str, Any] = field(default_factory=dict)
    pretrain_options: dict[str, Any] = field(default_factory=dict)  # root and loader options

    def as_dict(self) -> dict:
        return asdict(self)


def _coerce(key: str, value: Any, kind: type, minimum) -> Any:
    if kind in (int, float) and isinstance(value, str):  # YAML reads 1e-3 as a string
        try:
            value = kind(value)
        except ValueError:
            pass
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if kind is bool and isinstance(value, str):
        value = {"true": True, "false": False, "1": True, "0": False}.get(value.lower(), value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise UserError(f"option {key}: expected {kind.__name__}, got {value!r}")
    if minimum is not None and value < minimum:
        raise UserError(f"option {key}: expected a value >= {minimum}, got {value!r}")
    if key in CHOICES and value not in CHOICES[key]:
        raise UserError(f"option {key}: expected one of {', '.join(CHOICES[key])}, "
                        f"got {value!r}")
    return value


def _declared_type(default: Any) -> type:
    for kind in (bool, int, float, str, list, dict):
        if isinstance(default, kind):
            return kind
    raise TypeError(f"hyper-parameter default {default!r}: expected bool, int, float, str, "
                    "list or dict")


def validate_hparam(key: str, value: Any, declared: dict[str, Any] | None = None) -> Any:
    """A validated hyper-parameter value, or a UserError naming the option. `declared` holds
    a model spec's own hyper-parameters (name -> default; the default's type is enforced)."""
    declared = declared or {}
    if key in declared and key not in HPARAMS:
        if value is None:
            return None
        return _coerce(key, value, _declared_type(declared[key]), None)
    if key not in HPARAMS:
        valid = list(HPARAMS) + list(declared)
        close = difflib.get_close_matches(key, valid + ["model.*", "data.*"], n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UserError(f"unknown option '{key}': expected one of {', '.join(valid)}, "
                        f"augment.<{'|'.join(AUGMENT_KEYS)}>, model.<name>, data.<name> or "
                        f"pretrain.<name>{hint}")
    if value is None and BASE_HPARAMS[key] is None:
        return None
    value = _coerce(key, value, *HPARAMS[key])
    if key == "augment":
        value = {k: validate_augment(k, v) for k, v in value.items()}
    if key == "betas" and (len(value) != 2 or not all(
            isinstance(b, (int, float)) and not isinstance(b, bool) and 0 <= b < 1
            for b in value)):
        raise UserError(f"option betas: expected two numbers in [0, 1), got {value!r}")
    if key == "lr_table":
        try:
            value = [[int(e), float(lr)] for e, lr in value]
        except (TypeError, ValueError) as exc:
            raise UserError(f"option lr_table: expected [[epoch, lr], ...], got {value!r}") from exc
    return value


def validate_augment(key: str, value: Any) -> Any:
    if key not in AUGMENT_KEYS:
        raise UserError(f"unknown option augment.{key}: expected one of "
                        f"{', '.join(AUGMENT_KEYS)}")
    kind = AUGMENT_KEYS[key]
    return _coerce(f"augment.{key}", value, kind, 0 if kind in (int, float) else None)


def parse_assignments(pairs: list[str]) -> dict[str, Any]:
    """`-o key=value` strings -> {key: value}; values are parsed as YAML scalars/lists."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise UserError(f"-o {pair!r}: expected key=value")
        try:
            out[key.strip()] = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError:
            out[key.strip()] = raw
    return out


def read_yaml(path: str, label: str | None = None, what: str = "options") -> dict[str, Any]:
    """A YAML file (a run file, a sweep grid) as a mapping; UserError naming it (`label`,
    default "--config PATH") when unreadable or invalid."""
    label = label or f"--config {path}"
    try:
        data = yaml.safe_load(Path(path).read_text())
    except OSError as exc:
        raise UserError(f"{label}: cannot read the {what} file ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise UserError(f"{label}:{where} invalid YAML") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UserError(f"{label}: expected a mapping of {what}, got {type(data).__name__}")
    return data


def apply_options(config: RunConfig, options: dict[str, Any], origin: str) -> None:
    """Merge `options` (from YAML or -o) into `config`, validating every key."""
    for key, value in options.items():
        if key in RUN_FIELDS:
            if key.endswith("_options"):
                if not isinstance(value, dict):
                    raise UserError(f"{origin}: {key} must be a mapping")
                getattr(config, key).update(value)
            else:
                kind = RUN_FIELD_TYPES.get(key, str)
                if value is not None:
                    value = _coerce(f"{origin} {key}", value, kind, None)
                setattr(config, key, value)
        elif key.startswith("model."):
            config.model_options[key[6:]] = value
        elif key.startswith("data."):
            config.data_options[key[5:]] = value
        elif key.startswith("pretrain."):
            config.pretrain_options[key[9:]] = value
        elif key.startswith("augment."):
            augment = dict(config.hparams.get("augment", {}))
            augment[key[8:]] = validate_augment(key[8:], value)
            config.hparams["augment"] = augment
        elif key in HPARAMS:
            config.hparams[key] = validate_hparam(key, value)
        else:  # a model's own hyper-parameter: validated against its spec by resolve_hparams
            config.hparams[key] = value


def resolve_hparams(defaults: dict[str, Any], overrides: dict[str, Any],
                    declared: dict[str, Any] | None = None) -> dict[str, Any]:
    """The full recipe: ferbench's base values < the spec's declared hyper-parameters < the
    spec's defaults < the user's overrides (an `augment` override updates the spec's
    augmentation key by key). Unknown keys fail with the list of valid ones."""
    declared = declared or {}
    hp = {**BASE_HPARAMS, **declared}
    for key, value in defaults.items():
        hp[key] = validate_hparam(key, value, declared)
    for key, value in overrides.items():
        value = validate_hparam(key, value, declared)
        if key == "augment":
            value = {**hp.get("augment", {}), **value}
        hp[key] = value
    orphans = [k for k in ("generated_per_class", "generator_data")
               if k in hp["augment"] and not hp["augment"].get("generator")]
    if orphans:
        raise UserError(f"option augment.{orphans[0]}: needs augment.generator "
                        "(dcgan, wgan-gp or cgan)")
    return hp


def config_hash(data: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:16]
