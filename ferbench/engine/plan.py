"""The run plan: built once per `ferbench run` — specs, task, recipe, datasets by role,
protocol splits and the identity (recipe and config hashes) of every run it makes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from ..config import RunConfig, config_hash, resolve_hparams
from ..data.aus import AU_OPTIONS, align_aus, apply_au_options
from ..data.cache import cached_load
from ..data.crossdataset import align_classes, combine, drop_duplicates
from ..data.faceset import FaceSet
from ..data.protocols import Split, build_splits, cross_split
from ..errors import UserError
from ..specs import ModelSpec


@dataclass
class RunPlan:
    config: RunConfig
    spec: ModelSpec
    task: object  # ferbench.tasks.Task
    hparams: dict
    data: FaceSet
    protocol: str
    splits: list[Split]
    fingerprint: str  # content hash of the decoded data
    code: dict  # ferbench version, the model plugin's version, git commit
    device: object = None  # torch.device
    pretrain: FaceSet | None = None
    extra_recipe: dict = field(default_factory=dict)

    def recipe(self) -> dict:
        """What makes runs comparable: everything but the seed and the fold."""
        c = self.config
        return {"model": self.spec.name, "task": self.task.name, "dataset": self.data.info.name,
                "protocol": self.protocol, "k": c.k if self.protocol == "kfold" else None,
                "hparams": self.hparams, "model_options": c.model_options,
                "data_options": c.data_options, "device": self.device.type,
                "data_fingerprint": self.fingerprint, "code": self.code, **self.extra_recipe}

    def run_config(self, split: Split) -> dict:
        return {**self.recipe(), "seed": self.config.seed, "fold": split.fold}


def content_hash(faceset: FaceSet) -> str:
    """A hash of the decoded data (images, labels, keys, AU labels): two folders with the
    same files give the same hash; a subset copy does not."""
    digest = hashlib.sha256()
    for tensor in (faceset.images, faceset.labels, faceset.au_presence):
        if tensor is not None:
            digest.update(tensor.contiguous().numpy().tobytes())
    digest.update("\n".join(faceset.keys.tolist()).encode())
    return digest.hexdigest()[:16]


def load_dataset(registry, name: str, root: str | None, options: dict, strict: bool) -> FaceSet:
    """A dataset's FaceSet through the decoded-tensor cache, with the AU options applied;
    a clear error for a missing root."""
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
    loader_options = {k: v for k, v in options.items() if k not in AU_OPTIONS}
    faceset = cached_load(spec, path, {**loader_options, "strict": strict})
    au_options = {k: v for k, v in options.items() if k in AU_OPTIONS}
    if au_options or faceset.au_presence is not None:
        faceset = apply_au_options(faceset, au_options)
    return faceset


def choose_task(registry, config: RunConfig, spec: ModelSpec) -> str:
    """`--task`, or the first task of the model that every dataset of the run supports."""
    names = [n for n in (config.dataset, config.train_dataset, config.test_dataset) if n]
    dataset_tasks = [set(registry.get("datasets", n).tasks) for n in dict.fromkeys(names)]
    if config.data_options.get("aus_from_emotion") in (True, "true", "True", "1", 1):
        dataset_tasks = [t | {"au"} for t in dataset_tasks]
    shared = [t for t in spec.tasks if all(t in d for d in dataset_tasks)]
    if config.task:
        registry.get("tasks", config.task)
        if config.task not in shared:
            datasets = "; ".join(f"{n}: {', '.join(sorted(d))}" for n, d in
                                 zip(dict.fromkeys(names), dataset_tasks, strict=True))
            raise UserError(f"--task {config.task}: model {spec.name} supports "
                            f"{', '.join(spec.tasks)}; dataset {datasets}")
        return config.task
    if not shared:
        datasets = "; ".join(f"{n}: {', '.join(sorted(d))}" for n, d in
                             zip(dict.fromkeys(names), dataset_tasks, strict=True))
        raise UserError(f"model {spec.name} (tasks {', '.join(spec.tasks)}) and dataset "
                        f"{datasets} share no task")
    return shared[0]


def _load_eval_data(registry, config: RunConfig, task) -> tuple[FaceSet, str, list[Split]]:
    if config.train_dataset or config.test_dataset:
        if not (config.train_dataset and config.test_dataset):
            raise UserError("--train-dataset and --test-dataset go together")
        a = load_dataset(registry, config.train_dataset, config.data_root,
                         {k: v for k, v in config.data_options.items() if k != "test_root"},
                         config.strict)
        b = load_dataset(registry, config.test_dataset, config.data_options.get("test_root"),
                         {k: v for k, v in config.data_options.items() if k != "test_root"},
                         config.strict)
        dropped: list[str] = []
        if task.name == "au":
            a, b = align_aus(a, b)
        else:
            a, b, dropped = align_classes(a, b)
        b, duplicates = drop_duplicates(a, b)
        merged, pool, test = combine(a, b)
        merged.info.extra["dropped_classes"] = dropped
        merged.info.extra["cross_duplicates_dropped"] = duplicates
        return merged, "cross", [cross_split(merged, pool, test, seed=config.seed)]
    data = load_dataset(registry, config.dataset, config.data_root, config.data_options,
                        config.strict)
    protocol = config.protocol or registry.get("datasets", config.dataset).default_protocol
    return data, protocol, build_splits(data, protocol, k=config.k, seed=config.seed)


def _pretrain(registry, config: RunConfig, data: FaceSet) -> FaceSet | None:
    if not config.pretrain_dataset:
        return None
    options = dict(config.pretrain_options)
    root = options.pop("root", None)
    if config.pretrain_dataset == config.test_dataset:
        raise UserError(f"--pretrain-dataset {config.pretrain_dataset}: it is the test "
                        "dataset of this cross-dataset run; expected another dataset")
    if config.pretrain_dataset == config.dataset:
        if options or root not in (None, config.data_root):
            raise UserError(f"--pretrain-dataset {config.pretrain_dataset}: the evaluation "
                            "dataset is pretrained on with its own root and options only "
                            "(its split's training subjects)")
        return data  # the evaluation data itself: each split keeps its training subjects
    return load_dataset(registry, config.pretrain_dataset, root, options, config.strict)


def build_plan(registry, config: RunConfig) -> RunPlan:
    """Specs, task and recipe (validated before any data is read), then the data."""
    from .. import __version__
    from .device import select_device
    from .environment import git_commit
    spec = registry.get("models", config.model)
    task_name = choose_task(registry, config, spec)
    task = registry.task(task_name)
    hp = resolve_hparams(spec.defaults, config.hparams, spec.hparams)
    data, protocol, splits = _load_eval_data(registry, config, task)
    task.check(data)
    pretrain = _pretrain(registry, config, data)
    extra = {}
    if pretrain is not None:
        extra["pretrain"] = {"dataset": config.pretrain_dataset,
                             "options": config.pretrain_options,
                             "fingerprint": content_hash(pretrain)}
    code = {"ferbench": __version__, "plugin_version": spec.version, "git_commit": git_commit()}
    return RunPlan(config, spec, task, hp, data, protocol, splits, content_hash(data), code,
                   select_device(config.device), pretrain, extra)


def pretrain_for_split(plan: RunPlan, split: Split) -> FaceSet | None:
    """The pretraining set of one split. When it is the evaluation dataset itself, only the
    split's training subjects are used (asserted: no test subject)."""
    if plan.pretrain is None:
        return None
    if plan.pretrain is not plan.data:
        return plan.pretrain
    train = plan.data.subset(split.train)
    leaked = set(train.subjects) & set(plan.data.subjects[split.test])
    if leaked:
        raise AssertionError(f"pretraining subjects {sorted(leaked)[:5]} are test subjects")
    return train


def planned_hashes(registry, config: RunConfig) -> dict[int | None, str]:
    """The config hash of every run `config` makes (fold -> hash), as the runner records
    it; a sweep skips those already finished."""
    from .runner import select_splits
    plan = build_plan(registry, config)
    splits = select_splits(plan.splits, config)
    return {split.fold: config_hash(plan.run_config(split)) for split in splits}
