"""The run: config -> run plan -> per split: fit -> task evaluation -> time -> record.

The runner asks the run's task for targets, loss, evaluation and plots; it has no
per-task branches. Scores and bookkeeping are recorded apart.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..config import RunConfig, config_hash
from ..data.cache import default_cache_dir
from ..data.faceset import FaceSet
from ..data.protocols import Split
from ..errors import UserError
from ..method import Method
from ..results.curves import validation_curve
from ..results.store import RunStore
from .context import RunContext
from .device import autocast_dtype, configure_backends, seed_everything
from .distributed import init_from_env, world
from .environment import device_name, fingerprint
from .plan import RunPlan, build_plan, load_dataset, pretrain_for_split
from .supervised import SupervisedMethod
from .timer import time_inference

__all__ = ["Runner", "build_method", "load_dataset"]


def select_splits(splits: list[Split], config: RunConfig) -> list[Split]:
    if config.folds:
        return splits
    fold = config.fold or 0
    if not 0 <= fold < len(splits):
        raise UserError(f"--fold: expected 0 to {len(splits) - 1}, got {fold}")
    return [splits[fold]]


def build_method(spec, info, hp: dict, options: dict, task=None) -> Method:
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
        return SupervisedMethod(built, hp, info.in_chans, task)
    raise TypeError(f"model {spec.name}: build returned {type(built).__name__}, "
                    "expected an nn.Module or a ferbench.Method")


class Runner:
    """Runs one config (one or all folds), recording every run in the store."""

    def __init__(self, registry, store: RunStore, out_dir: Path, quiet: bool = False):
        self.registry, self.store, self.out_dir, self.quiet = registry, store, out_dir, quiet

    def run(self, config: RunConfig) -> list[dict]:
        if config.threads is not None:
            if config.threads < 1:
                raise UserError(f"--threads: expected a positive integer, got {config.threads}")
            torch.set_num_threads(config.threads)
        plan = build_plan(self.registry, config)
        here, plan.device = init_from_env(plan.device)
        if here.distributed:  # torchrun: rank 0 records, the others train their shard
            plan.extra_recipe["world_size"] = here.size
            if not here.main:
                self.store = RunStore(":memory:")
                self.out_dir, self.quiet = Path(tempfile.mkdtemp(prefix="ferbench-rank")), True
        configure_backends(plan.device, config.deterministic)
        splits = select_splits(plan.splits, config)
        plugins = {p.dist: p.version for p in self.registry.plugins if not p.error}
        env = fingerprint(plan.device, plugins)
        records = [self._run_split(plan, split, env) for split in splits]
        return records if here.main else []

    def _run_split(self, plan: RunPlan, split: Split, env: dict) -> dict:
        full = plan.run_config(split)
        chash = config_hash(full)
        name = plan.data.info.name.replace("->", "-to-")
        artifacts = self.out_dir / (f"{time.strftime('%Y%m%d-%H%M%S')}-{plan.spec.name}-{name}"
                                    f"-f{split.fold or 0}-{uuid.uuid4().hex[:6]}")
        artifacts.mkdir(parents=True, exist_ok=True)
        run_id = self.store.start({
            "task": plan.task.name, "dataset": plan.data.info.name, "protocol": plan.protocol,
            "fold": split.fold, "model": plan.spec.name, "plugin": plan.spec.plugin,
            "plugin_version": plan.spec.version, "config": full, "config_hash": chash,
            "recipe_hash": config_hash(plan.recipe()), "seed": plan.config.seed,
            "manifest": split.manifest, "environment": env, "artifacts": str(artifacts)})
        hook = self.registry.pm.hook
        hook.ferbench_run_started(run_id=run_id, config=full)
        resume_dir = default_cache_dir() / "resume" / chash
        try:
            metrics, timing, bookkeeping = self._fit_and_measure(plan, split, artifacts, run_id,
                                                                 resume_dir)
        except BaseException as exc:
            self.store.fail(run_id, f"{type(exc).__name__}: {exc}")
            hook.ferbench_run_finished(run_id=run_id, status="failed", metrics={})
            raise
        self.store.finish(run_id, metrics, timing, bookkeeping)
        if world().main:
            shutil.rmtree(resume_dir, ignore_errors=True)
        hook.ferbench_run_finished(run_id=run_id, status="finished", metrics=metrics)
        return self.store.get(run_id)

    def _reference(self, plan: RunPlan, split: Split, train: FaceSet):
        """The recipe's reference expression classifier (`reference_model`) trained on the
        same split: a finished run with the same config is reused, otherwise one is run and
        recorded first. Returns (method, "model@run ID")."""
        hp, c = plan.hparams, plan.config
        config = RunConfig(
            model=hp["reference_model"], dataset=c.dataset, task="expression",
            data_root=c.data_root, protocol=None if plan.protocol == "cross" else plan.protocol,
            train_dataset=c.train_dataset, test_dataset=c.test_dataset, k=c.k,
            fold=split.fold, seed=c.seed,
            device=c.device, threads=c.threads, strict=c.strict, deterministic=c.deterministic,
            data_options=dict(c.data_options),
            hparams={"epochs": hp["reference_epochs"]} if hp["reference_epochs"] else {})
        record = self._finished_reference(config, split, plan.fingerprint)
        record = record or self.run(config)[0]
        spec = self.registry.get("models", config.model)
        task = self.registry.task("expression")
        ref_hp = record["config"]["hparams"]
        info = task.model_info(replace(
            plan.data.info, in_chans=ref_hp["in_chans"] or plan.data.info.in_chans,
            image_size=ref_hp["input_size"] or plan.data.info.image_size))
        method = build_method(spec, info, ref_hp, {}, task)
        if not isinstance(method, SupervisedMethod):
            raise UserError(f"option reference_model={config.model}: expected a plain "
                            "network model (nn.Module), e.g. resnet18 or tiny-cnn")
        method.restore(Path(record["artifacts"]) / "best.pt", train, plan.device, task)
        return method, f"{config.model}@run {record['id']}"

    def _finished_reference(self, config: RunConfig, split: Split, fingerprint: str):
        """The newest finished run of the reference recipe on the same data and split (same
        data content hash, manifest and seed; any ferbench version) whose weights are still in
        its artifacts folder, or None."""
        from ..config import resolve_hparams
        spec = self.registry.get("models", config.model)
        hp = resolve_hparams(spec.defaults, config.hparams, spec.hparams)
        for row in self.store.list(status="finished", model=config.model):
            c = row.get("config") or {}
            if (row["task"] == "expression" and row["manifest"] == split.manifest
                    and row["seed"] == config.seed and c.get("data_fingerprint") == fingerprint
                    and c.get("hparams", {}).get("epochs") == hp["epochs"]
                    and not c.get("model_options")
                    and (Path(row["artifacts"] or "") / "best.pt").is_file()):
                return row
        return None

    def _epoch_end(self, run_id: int):
        def on_epoch_end(epoch: int, record: dict) -> None:
            self.store.heartbeat(run_id)
            self.registry.pm.hook.ferbench_epoch_end(run_id=run_id, epoch=epoch, metrics=record)
        return on_epoch_end

    def _fit_and_measure(self, plan: RunPlan, split: Split, artifacts: Path, run_id: int,
                         resume_dir: Path) -> tuple[dict, dict, dict]:
        seed_everything(plan.config.seed)
        hp, data, task, device = plan.hparams, plan.data, plan.task, plan.device
        train, val, test = (data.subset(i) for i in (split.train, split.val, split.test))
        info = task.model_info(replace(data.info, in_chans=hp["in_chans"] or data.info.in_chans,
                                       image_size=hp["input_size"] or data.info.image_size))
        method = build_method(plan.spec, info, hp, plan.config.model_options, task)
        if world().distributed and (not isinstance(method, SupervisedMethod)
                                    or hp["augment"].get("generator")):
            raise UserError(f"torchrun: model {plan.spec.name} trains its own modules (or "
                            "generates data); only the standard supervised loop of a plain "
                            "network runs on several processes")
        roles: dict[str, FaceSet] = {"train": train, "val": val}
        pretrain = pretrain_for_split(plan, split)
        if pretrain is not None:
            roles["pretrain"] = pretrain
        ctx = RunContext(device=device, amp_dtype=autocast_dtype(device, hp["amp"]),
                         seed=plan.config.seed, hparams=hp, artifacts=artifacts, task=task,
                         info=info, registry=self.registry, roles=roles, quiet=self.quiet,
                         channels_last=device.type == "cuda" and hp["channels_last"],
                         on_epoch_end=self._epoch_end(run_id), resume_dir=resume_dir,
                         reference=lambda: self._reference(plan, split, train))
        ctx.log(f"run {run_id}: {plan.spec.name} on {data.info.name} [{task.name}] "
                f"({split.protocol}{'' if split.fold is None else f' fold {split.fold}'}): "
                f"train {len(train)}, val {len(val)}, test {len(test)} on {device.type}")
        start = time.perf_counter()
        method.fit(train, val, ctx)
        train_seconds = time.perf_counter() - start
        if not world().main:  # rank 0 evaluates, times and records
            return {}, {}, {}
        evaluation = task.evaluate(method, test, ctx)
        if ctx.extra.get("generators"):  # generated-data augmentation: judge the generators
            from .generated import generation_report
            gen_metrics, gen_bookkeeping = generation_report(ctx, test)
            evaluation.metrics.update(gen_metrics)
            evaluation.bookkeeping.update(gen_bookkeeping)
        history = getattr(method, "history", None) or \
            [r for records in ctx.history.values() for r in records]
        bookkeeping = {
            **evaluation.bookkeeping,
            "epochs": hp["epochs"] if isinstance(method, SupervisedMethod) else
            hp.get("epochs") if history else None,
            "best_epoch": getattr(method, "best_epoch", None) or ctx.extra.get("best_epoch"),
            "best_validation": max((h[task.selection] for h in history
                                    if task.selection in h), default=None),
            "curve": validation_curve(history, task.selection),
            "dropped_classes": data.info.extra.get("dropped_classes"),
            "cross_duplicates_dropped": data.info.extra.get("cross_duplicates_dropped"),
            "derived_aus": bool(data.info.extra.get("derived_aus", False)),
            "skipped_samples": len(data.skipped), "n_train": len(train), "n_val": len(val),
            "stratification": split.stratification,
            "deterministic": plan.config.deterministic,
            "world_size": world().size, "search": ctx.extra.get("search"),
            "resumed_from_epoch": ctx.extra.get("resumed_from"),
            "pretrain": None if pretrain is None else
            {"dataset": plan.config.pretrain_dataset, "n": len(pretrain)},
            **ctx.extra.get("bookkeeping", {})}  # what the method records of its own
        if method.inference_module() is None and task.name == "transfer":
            timing = {"skipped": "the method has no inference module to time"}
        else:
            timing = time_inference(method, tuple(task.example_input(info, 1).shape[1:]),
                                    device, ctx.amp_dtype)
        timing.update({"device_name": device_name(device), "train_seconds": train_seconds})
        (artifacts / "metrics.json").write_text(json.dumps(
            {"metrics": evaluation.metrics, "bookkeeping": bookkeeping, "timing": timing,
             "history": history, "stages": ctx.history}, indent=2, default=str))
        if evaluation.predictions:
            np.savez_compressed(artifacts / "predictions.npz", **evaluation.predictions)
        task.plots(evaluation, data.info, artifacts,
                   f"{plan.spec.name} · {data.info.name}"
                   f"{'' if split.fold is None else f' · fold {split.fold}'}")
        return evaluation.metrics, timing, bookkeeping
