"""The run: config -> specs -> data -> splits -> fit -> evaluate -> time -> record."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, replace
from pathlib import Path

import torch
from torch import nn

from ..config import RunConfig, config_hash, resolve_hparams
from ..data.cache import cached_load
from ..data.crossdataset import align_classes, combine
from ..data.faceset import FaceSet
from ..data.protocols import Split, build_splits, cross_split
from ..errors import UserError
from ..method import Method
from ..results.plots import save_confusion_matrix
from ..results.store import RunStore
from .context import RunContext
from .device import autocast_dtype, configure_backends, seed_everything, select_device
from .environment import device_name, fingerprint
from .evaluate import evaluate
from .supervised import SupervisedMethod
from .timer import time_inference


@dataclass
class Prepared:
    data: FaceSet
    protocol: str
    splits: list[Split]


def load_dataset(registry, name: str, root: str | None, options: dict, strict: bool):
    """A dataset's FaceSet through the decoded-tensor cache; a clear error for a missing root."""
    spec = registry.get("datasets", name)
    path = None
    if spec.requires_root:
        if not root:
            raise UserError(f"dataset '{name}' needs --data-root: expected {spec.layout} "
                            f"({spec.licence})")
        path = Path(root).expanduser()
        if not path.exists():
            raise UserError(f"--data-root {path}: not found; dataset '{name}' expects "
                            f"{spec.layout} ({spec.licence})")
    return cached_load(spec, path, {**options, "strict": strict})


def prepare(config: RunConfig, registry) -> Prepared:
    """Load the data and build the protocol's splits (cross-dataset when both set)."""
    if config.train_dataset or config.test_dataset:
        if not (config.train_dataset and config.test_dataset):
            raise UserError("--train-dataset and --test-dataset go together")
        a = load_dataset(registry, config.train_dataset, config.data_root,
                         config.data_options, config.strict)
        b = load_dataset(registry, config.test_dataset, config.data_options.get("test_root"),
                         {k: v for k, v in config.data_options.items() if k != "test_root"},
                         config.strict)
        a, b, dropped = align_classes(a, b)
        merged, pool, test = combine(a, b)
        merged.info.extra["dropped_classes"] = dropped
        return Prepared(merged, "cross", [cross_split(merged, pool, test, seed=config.seed)])
    data = load_dataset(registry, config.dataset, config.data_root, config.data_options,
                        config.strict)
    protocol = config.protocol or registry.get("datasets", config.dataset).default_protocol
    return Prepared(data, protocol, build_splits(data, protocol, k=config.k, seed=config.seed))


def select_splits(splits: list[Split], config: RunConfig) -> list[Split]:
    if config.folds:
        return splits
    fold = config.fold or 0
    if not 0 <= fold < len(splits):
        raise UserError(f"--fold: expected 0 to {len(splits) - 1}, got {fold}")
    return [splits[fold]]


def build_method(spec, info, hp: dict, options: dict) -> Method:
    try:
        built = spec.builder()(info, **options)
    except TypeError as exc:
        if options and "argument" in str(exc):
            raise UserError(f"model {spec.name}: invalid -o model.* option(s) "
                            f"{', '.join(options)} ({exc})") from exc
        raise
    if isinstance(built, Method):
        return built
    if isinstance(built, nn.Module):
        return SupervisedMethod(built, hp, info.in_chans)
    raise TypeError(f"model {spec.name}: build returned {type(built).__name__}, "
                    "expected an nn.Module or a ferbench.Method")


class Runner:
    """Runs one config (one or all folds), recording every run in the store."""

    def __init__(self, registry, store: RunStore, out_dir: Path, quiet: bool = False):
        self.registry, self.store, self.out_dir, self.quiet = registry, store, out_dir, quiet

    def run(self, config: RunConfig) -> list[dict]:
        spec = self.registry.get("models", config.model)
        hp = resolve_hparams(spec.defaults, config.hparams)
        device = select_device(config.device)
        if config.threads:
            if config.threads < 1:
                raise UserError(f"--threads: expected a positive integer, got {config.threads}")
            torch.set_num_threads(config.threads)
        configure_backends(device)
        prepared = prepare(config, self.registry)
        splits = select_splits(prepared.splits, config)
        plugins = {p.dist: p.version for p in self.registry.plugins if not p.error}
        env = fingerprint(device, plugins)
        return [self._run_split(config, spec, hp, device, prepared, split, env)
                for split in splits]

    def _run_split(self, config, spec, hp, device, prepared: Prepared, split: Split, env):
        data = prepared.data
        recipe = {"model": spec.name, "dataset": data.info.name, "protocol": prepared.protocol,
                  "k": config.k if prepared.protocol == "kfold" else None,
                  "hparams": hp, "model_options": config.model_options,
                  "data_options": config.data_options, "device": device.type}
        full = {**recipe, "seed": config.seed, "fold": split.fold}
        folder = (f"{time.strftime('%Y%m%d-%H%M%S')}-{spec.name}-{data.info.name}"
                  f"-f{split.fold if split.fold is not None else 0}-{uuid.uuid4().hex[:6]}")
        artifacts = self.out_dir / folder.replace("->", "-to-")
        artifacts.mkdir(parents=True, exist_ok=True)
        run_id = self.store.start({
            "task": "expression", "dataset": data.info.name, "protocol": prepared.protocol,
            "fold": split.fold, "model": spec.name, "plugin": spec.plugin,
            "plugin_version": spec.version, "config": full, "config_hash": config_hash(full),
            "recipe_hash": config_hash(recipe), "seed": config.seed,
            "manifest": split.manifest, "environment": env, "artifacts": str(artifacts)})
        hook = self.registry.pm.hook
        hook.ferbench_run_started(run_id=run_id, config=full)
        try:
            metrics, timing = self._fit_and_measure(config, spec, hp, device, data, split,
                                                    artifacts, run_id)
        except BaseException as exc:
            self.store.fail(run_id, f"{type(exc).__name__}: {exc}")
            hook.ferbench_run_finished(run_id=run_id, status="failed", metrics={})
            raise
        self.store.finish(run_id, metrics, timing)
        hook.ferbench_run_finished(run_id=run_id, status="finished", metrics=metrics)
        return self.store.get(run_id)

    def _fit_and_measure(self, config, spec, hp, device, data: FaceSet, split: Split,
                         artifacts: Path, run_id: int) -> tuple[dict, dict]:
        seed_everything(config.seed)
        train, val, test = (data.subset(i) for i in (split.train, split.val, split.test))
        info = replace(data.info, in_chans=hp["in_chans"] or data.info.in_chans,
                       image_size=hp["input_size"] or data.info.image_size)
        method = build_method(spec, info, hp, config.model_options)
        amp = autocast_dtype(device, hp["amp"])
        ctx = RunContext(device=device, amp_dtype=amp, seed=config.seed, hparams=hp,
                         artifacts=artifacts, quiet=self.quiet,
                         channels_last=device.type == "cuda" and hp["channels_last"],
                         on_epoch_end=lambda epoch, m: self.registry.pm.hook
                         .ferbench_epoch_end(run_id=run_id, epoch=epoch, metrics=m))
        ctx.log(f"run {run_id}: {spec.name} on {data.info.name} ({split.protocol}"
                f"{'' if split.fold is None else f' fold {split.fold}'}): train {len(train)}, "
                f"val {len(val)}, test {len(test)} on {device.type}")
        start = time.perf_counter()
        method.fit(train, val, ctx)
        train_seconds = time.perf_counter() - start
        scores = method.predict(test.images).float().cpu()
        metrics = evaluate(self.registry, "expression", scores, test.labels,
                           data.info.num_classes)
        history = getattr(method, "history", [])
        metrics.update({
            "class_names": list(data.info.class_names),
            "epochs": hp["epochs"] if isinstance(method, SupervisedMethod) else None,
            "best_epoch": getattr(method, "best_epoch", None),
            "val_accuracy": max((h["val_accuracy"] for h in history), default=None),
            "dropped_classes": data.info.extra.get("dropped_classes"),
            "skipped_samples": len(data.skipped), "n_test": len(test)})
        timing = time_inference(method, tuple(data.images.shape[1:]), device, ctx.amp_dtype)
        timing.update({"device_name": device_name(device), "train_seconds": train_seconds})
        (artifacts / "metrics.json").write_text(json.dumps(
            {"metrics": metrics, "timing": timing, "history": history}, indent=2))
        save_confusion_matrix(metrics["confusion_matrix"], data.info.class_names,
                              artifacts / "confusion.png",
                              title=f"{spec.name} · {data.info.name}")
        return metrics, timing
