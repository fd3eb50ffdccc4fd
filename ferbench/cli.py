"""`ferbench`: a thin argparse front end. Listing, runs and the leaderboard never import
torch; user mistakes print one line and exit with status 2."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from pathlib import Path

from .errors import UserError

DEFAULT_DB = "runs/ferbench.db"
KINDS = ("tasks", "datasets", "models", "metrics")


def _registry(args):
    from .plugins import get_registry, load_registry, set_registry
    if getattr(args, "plugins", None) is not None:
        set_registry(load_registry(only=args.plugins))
    return get_registry()


def _store(args):
    from .results.store import RunStore
    return RunStore(Path(args.db or os.environ.get("FERBENCH_DB") or DEFAULT_DB))


def cmd_list(args) -> int:
    from tabulate import tabulate
    specs = _registry(args).find(args.kind, args.pattern)
    if args.kind == "tasks":
        rows = [[s.name, s.plugin, s.summary] for s in specs]
        print(tabulate(rows, headers=["name", "plugin", "summary"]) if rows else
              f"no tasks match {args.pattern!r}")
        return 0
    if args.task:
        _registry(args).get("tasks", args.task)
        specs = [s for s in specs if args.task in s.tasks]
    rows = []
    for s in specs:
        row = [s.name, ",".join(s.tasks), s.plugin, s.summary]
        if args.kind == "models":
            row.insert(3, ", ".join(f"{r.dataset} {100 * r.value:.2f}" for r in s.reported
                                    if r.metric == "accuracy") or "")
        rows.append(row)
    headers = ["name", "tasks", "plugin", "summary"]
    if args.kind == "models":
        headers.insert(3, "reported acc.")
    what = f"{args.pattern!r}" + (f" for task {args.task}" if args.task else "")
    print(tabulate(rows, headers=headers) if rows else f"no {args.kind} match {what}")
    return 0


def cmd_plugins(args) -> int:
    from tabulate import tabulate
    registry = _registry(args)
    rows = []
    for p in registry.plugins:
        counts = "" if p.error else " ".join(
            f"{len([s for s in registry.specs(k).values() if s.plugin == p.dist])} {k}"
            for k in KINDS)
        rows.append([p.name, p.dist, p.version, "broken: " + p.error if p.error else "ok",
                     counts])
    print(tabulate(rows, headers=["entry point", "distribution", "version", "status",
                                  "provides"]))
    return 0


def _run_config(args):
    from .config import RunConfig, apply_options, parse_assignments, read_yaml
    options = read_yaml(args.config) if args.config else {}
    model = args.model or options.pop("model", None)
    dataset = args.dataset or options.pop("dataset", None) or args.train_dataset
    if not model or not (dataset or options.get("train_dataset")):
        raise UserError("run: --model and --dataset are required (on the command line or "
                        "in --config)")
    config = RunConfig(model=model, dataset=dataset or options["train_dataset"])
    apply_options(config, options, f"--config {args.config}")
    apply_options(config, parse_assignments(args.option or []), "-o")
    flags = {"task": args.task, "data_root": args.data_root, "protocol": args.protocol,
             "k": args.k, "fold": args.fold, "seed": args.seed, "device": args.device,
             "threads": args.threads, "train_dataset": args.train_dataset,
             "test_dataset": args.test_dataset, "pretrain_dataset": args.pretrain_dataset}
    for key, value in flags.items():
        if value is not None:
            setattr(config, key, value)
    if args.folds is not None:
        if args.folds != "all":
            raise UserError(f"--folds: expected 'all', got '{args.folds}'")
        config.folds = True
    config.strict = config.strict or args.strict
    config.deterministic = config.deterministic or args.deterministic
    hp = {"epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr}
    apply_options(config, {k: v for k, v in hp.items() if v is not None}, "flags")
    return config


def cmd_run(args) -> int:
    config = _run_config(args)
    registry = _registry(args)
    spec = registry.get("models", config.model)  # fail fast, before importing torch
    for name in filter(None, (config.dataset, config.train_dataset, config.test_dataset,
                              config.pretrain_dataset)):
        registry.get("datasets", name)
    if config.task:
        registry.get("tasks", config.task)
    from .config import resolve_hparams
    resolve_hparams(spec.defaults, config.hparams, spec.hparams)
    if args.json:
        from .progress import set_quiet
        set_quiet(True)
    store = _store(args)
    from .engine.runner import Runner
    out = Path(args.out) if args.out else store.path.parent / "artifacts"
    from .engine.distributed import shutdown, world
    records = Runner(registry, store, out, quiet=args.json).run(config)
    main = world().main
    shutdown()
    if not main:  # a torchrun worker: rank 0 prints and records
        return 0
    if args.json:
        print(json.dumps(records[0] if len(records) == 1 else records, indent=2, default=str))
    else:
        from .results.views import runs_table
        print(runs_table(records, {name: registry.task(name) for name in
                                   {row["task"] for row in records}}))
    return 0


def cmd_bench(args) -> int:
    from .engine.bench import run_bench_command
    if args.json:
        from .progress import set_quiet
        set_quiet(True)
    print(run_bench_command(_registry(args), _store(args).path, args.model, args.option or [],
                            args.input, args.batch, args.threads, args.device, args.json,
                            args.csv))
    return 0


def cmd_sweep(args) -> int:
    from .sweep import run_sweep_command
    return run_sweep_command(
        _registry(args), _store(args).path, args.grid, models=args.model,
        datasets=args.dataset, protocols=args.protocol, folds=args.folds, seeds=args.seeds,
        k=args.k, vary=args.vary, options=args.option, threads=args.threads,
        data_root=args.data_root, device=args.device, jobs=args.jobs, ray_address=args.ray,
        artifacts_shared=args.artifacts_shared, out=args.out)


def cmd_runs(args) -> int:
    from .results.views import runs_table
    store = _store(args)
    if args.prune:
        pruned = store.prune_interrupted()
        print(f"pruned {pruned} interrupted run{'s' * (pruned != 1)}")
    filters = {"status": args.status, "model": args.model, "dataset": args.dataset,
               "task": args.task}
    rows = store.list(**filters, include_superseded=args.all, limit=args.limit)
    registry = _registry(args)
    tasks = {name: registry.task(name) for name in {row["task"] for row in rows}
             if name in registry.specs("tasks")}
    print(runs_table(rows, tasks) if rows else "no runs recorded")
    hidden = 0 if args.all else sum(row["superseded"] for row in store.list(**filters))
    if hidden:
        print(f"{hidden} superseded run{'s' * (hidden != 1)} (an older run of the same recipe, "
              "fold and seed) not shown; --all lists them")
    return 0


def cmd_show(args) -> int:
    row = _store(args).get(args.run_id)
    if row is None:
        raise UserError(f"run id {args.run_id}: no such run (see `ferbench runs`)")
    from .results.views import run_detail
    print(json.dumps(row, indent=2, default=str) if args.json else run_detail(row))
    return 0


def cmd_leaderboard(args) -> int:
    from .config import resolve_hparams
    from .results.bench_store import latest_bench
    from .results.leaderboard import write_leaderboard
    registry = _registry(args)
    specs = registry.find("models")
    reported = {s.name: s.reported for s in specs if s.reported}
    pairs = {s.name: s.paired_with for s in specs if s.paired_with}
    defaults = {s.name: resolve_hparams(s.defaults, {}, s.hparams) for s in specs}
    shown = {s.name: s.shown_options for s in specs if s.shown_options}
    store = _store(args)
    rows = store.list(status="finished")
    tasks = {name: registry.task(name) for name in registry.specs("tasks")}  # reported-only too
    output = Path(args.output) if args.output else store.path.parent / "leaderboard"
    free = [s.name for s in registry.find("datasets") if not s.requires_root]  # generated
    path = write_leaderboard(rows, reported, output, pairs=pairs, defaults=defaults,
                             shown=shown, tasks=tasks, baselines=args.baseline or (),
                             bench=latest_bench(store.path), free_datasets=free)
    print(path.read_text())
    print(f"written to {path}", file=sys.stderr)
    return 0


def cmd_compare(args) -> int:
    import torch

    from .results.compare import compare, comparison_table, registry_metrics
    torch.set_num_threads(1)  # thousands of small metric calls: one thread is fastest
    registry = _registry(args)
    result = compare(_store(args), args.a, args.b,
                     metrics=lambda task: registry_metrics(registry, task),
                     n_resamples=args.resamples, seed=args.seed)
    print(json.dumps(result, indent=2) if args.json else comparison_table(result))
    return 0


def _dataset(args):
    from .config import parse_assignments
    from .engine.runner import load_dataset
    options = {k.removeprefix("data."): v
               for k, v in parse_assignments(args.option or []).items()}
    return load_dataset(_registry(args), args.dataset, args.data_root, options, False)


def cmd_data_show(args) -> int:
    from .data.show import save_grid
    faceset = _dataset(args)
    path = save_grid(faceset, Path(args.output or f"{args.dataset}-samples.png"))
    print(path)
    return 0


def cmd_data_check(args) -> int:
    faceset = _dataset(args)
    print(f"{faceset.info.name}: {len(faceset)} samples, {len(set(faceset.subjects))} "
          f"subjects, {faceset.images.shape[1]}x{faceset.images.shape[2]}x"
          f"{faceset.images.shape[3]}")
    for name, count in faceset.class_counts().items():
        print(f"  {name:<10} {count}")
    print(f"skipped: {len(faceset.skipped)}")
    for path, reason in faceset.skipped:
        print(f"  {path}: {reason}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ferbench", description=__doc__.split("\n")[0])
    parser.add_argument("--plugins", help="comma-separated entry-point names to load "
                        "(default: all; env FERBENCH_PLUGINS)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("list", help="list tasks, datasets, models or metrics")
    p.add_argument("kind", choices=KINDS)
    p.add_argument("pattern", nargs="?", help="shell-style wildcard, e.g. 'vgg*'")
    p.add_argument("--task", help="only entries that support this task (expression, au, ...)")
    p.set_defaults(fn=cmd_list)

    sub.add_parser("plugins", help="loaded and broken plugins").set_defaults(fn=cmd_plugins)

    p = sub.add_parser("run", help="train, evaluate, time and record a model on a dataset")
    p.add_argument("--model")
    p.add_argument("--dataset")
    p.add_argument("--task", help="expression, au or transfer (default: the first task that "
                   "model and dataset share)")
    p.add_argument("--data-root")
    p.add_argument("--protocol", help="official, holdout, kfold or loso")
    p.add_argument("--k", type=int, help="number of folds for kfold (default 10)")
    p.add_argument("--fold", type=int, help="run only this fold (0-based)")
    p.add_argument("--folds", help="'all' runs and records every fold")
    p.add_argument("--train-dataset", help="cross-dataset: train on this dataset")
    p.add_argument("--test-dataset", help="cross-dataset: test on this dataset "
                   "(its root: -o data.test_root=PATH)")
    p.add_argument("--pretrain-dataset", help="auxiliary dataset handed to the method "
                   "(its root: -o pretrain.root=PATH)")
    p.add_argument("--epochs", type=int)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--lr", type=float)
    p.add_argument("--seed", type=int)
    p.add_argument("--device", help="auto, cpu or cuda")
    p.add_argument("--threads", type=int, help="CPU threads for torch (default: all cores)")
    p.add_argument("--strict", action="store_true", help="fail on unreadable samples")
    p.add_argument("--deterministic", action="store_true",
                   help="CUDA: deterministic algorithms only, no cudnn.benchmark (slower)")
    p.add_argument("--config", help="YAML file of run options")
    p.add_argument("-o", "--option", action="append", metavar="KEY=VALUE",
                   help="recipe option (epochs, lr, augment.shift, model.X, data.X, ...)")
    _store_args(p)
    p.add_argument("--out", help="artifacts folder (default: beside the database)")
    p.add_argument("--json", action="store_true", help="print the recorded run as JSON")
    p.set_defaults(fn=cmd_run)

    p = sub.add_parser("bench", help="time a model alone (no training) and record it")
    p.add_argument("--model", required=True)
    p.add_argument("-o", "--option", action="append", metavar="model.KEY=VALUE",
                   help="model build option")
    p.add_argument("--input", default="1x48x48", help="CxHxW of one image (default 1x48x48)")
    p.add_argument("--batch", default="1,64", help="latency batch,throughput batch")
    p.add_argument("--threads", type=int, help="CPU threads for torch")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    p.add_argument("--json", action="store_true", help="print the record as JSON")
    p.add_argument("--csv", action="store_true", help="print the record as CSV")
    _store_args(p)
    p.set_defaults(fn=cmd_bench)

    p = sub.add_parser("sweep", help="run a grid of runs locally or on a Ray cluster")
    p.add_argument("grid", nargs="?", help="grid YAML file (docs/scale-out.md)")
    p.add_argument("--model", action="append", default=[], help="without a grid file "
                   "(repeatable)")
    p.add_argument("--dataset", action="append", default=[])
    p.add_argument("--protocol", action="append", default=[])
    p.add_argument("--k", type=int, help="folds of kfold (default 10)")
    p.add_argument("--folds", help="'all' (kfold) or comma-separated fold numbers")
    p.add_argument("--seeds", help="comma-separated seeds (default 0)")
    p.add_argument("--vary", action="append", default=[], metavar="KEY=[V1, V2]",
                   help="an option to vary (cartesian product; repeatable)")
    p.add_argument("-o", "--option", action="append", default=[], metavar="KEY=VALUE",
                   help="an option for every run")
    p.add_argument("--threads", type=int, help="torch threads per run (default cores // jobs)")
    p.add_argument("--data-root")
    p.add_argument("--device")
    p.add_argument("--jobs", type=int, default=1, help="local runs at once")
    p.add_argument("--ray", nargs="?", const="local", metavar="ADDRESS",
                   help="run on Ray (no address: a local Ray instance); put it after GRID")
    p.add_argument("--artifacts-shared", metavar="PATH",
                   help="Ray workers write artifacts here instead of returning them")
    _store_args(p)
    p.add_argument("--out", help="artifacts folder (default: beside the database)")
    p.set_defaults(fn=cmd_sweep)

    p = sub.add_parser("runs", help="list recorded runs")
    _store_args(p)
    p.add_argument("--task")
    p.add_argument("--status", choices=("running", "finished", "failed", "interrupted"))
    p.add_argument("--model")
    p.add_argument("--dataset")
    p.add_argument("--limit", type=int)
    p.add_argument("--all", action="store_true", help="also list superseded runs (an older "
                   "run of the same recipe, fold and seed), marked")
    p.add_argument("--prune", action="store_true",
                   help="first delete interrupted runs and say how many")
    p.set_defaults(fn=cmd_runs)

    p = sub.add_parser("show", help="show one recorded run")
    p.add_argument("run_id", type=int)
    _store_args(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(fn=cmd_show)

    p = sub.add_parser("leaderboard", help="write the leaderboard markdown from recorded runs")
    _store_args(p)
    p.add_argument("--output", help="folder (default: 'leaderboard' beside the database, "
                   "runs/leaderboard for the default one; `make leaderboard` writes the "
                   "published leaderboard/)")
    p.add_argument("--baseline", action="append", metavar="MODEL",
                   help="add a paired 'Δ vs MODEL' column to every table holding MODEL (a "
                   "model with one row there, or a row label); repeatable")
    p.set_defaults(fn=cmd_leaderboard)

    p = sub.add_parser("compare", help="paired comparison of two recipes or runs on "
                       "identical splits")
    p.add_argument("a", help="run id, recipe hash (or a unique prefix) or model name")
    p.add_argument("b", help="the same for B; differences are B − A")
    _store_args(p)
    p.add_argument("--resamples", type=int, default=2000,
                   help="paired bootstrap resamples (default 2000)")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    p.add_argument("--json", action="store_true", help="print the comparison as JSON")
    p.set_defaults(fn=cmd_compare)

    p = sub.add_parser("data", help="inspect a dataset")
    data_sub = p.add_subparsers(dest="data_command", required=True)
    for name, fn, text in (("show", cmd_data_show, "write a PNG grid of samples"),
                           ("check", cmd_data_check, "counts and skipped or failed files")):
        q = data_sub.add_parser(name, help=text)
        q.add_argument("dataset")
        q.add_argument("--data-root")
        q.add_argument("-o", "--option", action="append", metavar="KEY=VALUE",
                       help="dataset option, e.g. image_size=96")
        if name == "show":
            q.add_argument("--output", help="PNG path (default: DATASET-samples.png)")
        q.set_defaults(fn=fn)
    return parser


def _store_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", help=f"SQLite store (default {DEFAULT_DB}; env FERBENCH_DB)")


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)  # a terminated run is recorded as failed
    if hasattr(signal, "SIGPIPE"):  # `ferbench runs | head` ends quietly
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    try:
        return args.fn(args)
    except UserError as exc:
        print(f"ferbench: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("ferbench: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
