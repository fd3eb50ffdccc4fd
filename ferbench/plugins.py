"""Plugin manager: loads entry points of the group `ferbench`, builds name registries,
records plugins that fail to import."""

from __future__ import annotations

import difflib
import fnmatch
import os
from dataclasses import dataclass
from importlib.metadata import entry_points

import pluggy

from . import hookspecs
from .errors import PluginConflict, UserError
from .specs import DatasetSpec, MetricSpec, ModelSpec, TaskSpec

GROUP = "ferbench"
ENV_PLUGINS = "FERBENCH_PLUGINS"
CORE = "builtin"  # entry-point name of the core's own built-ins, always loaded
KINDS = {"tasks": TaskSpec, "datasets": DatasetSpec, "models": ModelSpec, "metrics": MetricSpec}


@dataclass(frozen=True)
class PluginInfo:
    name: str
    dist: str
    version: str
    error: str = ""  # non-empty when the plugin failed to import


class Registry:
    """Loaded plugins and their datasets, models and metrics by name."""

    def __init__(self, pm: pluggy.PluginManager, plugins: list[PluginInfo]):
        self.pm = pm
        self.plugins = plugins
        self._specs: dict[str, dict] = {}

    @property
    def broken(self) -> list[PluginInfo]:
        return [p for p in self.plugins if p.error]

    def specs(self, kind: str) -> dict:
        """All specs of a kind ('tasks', 'datasets', 'models', 'metrics') by name."""
        if kind not in self._specs:
            self._specs[kind] = self._collect(kind)
        return self._specs[kind]

    def _collect(self, kind: str) -> dict:
        caller = getattr(self.pm.hook, f"ferbench_register_{kind}")
        dists = {p.name: p for p in self.plugins}
        out: dict = {}
        for impl in reversed(caller.get_hookimpls()):
            info = dists.get(impl.plugin_name, PluginInfo(impl.plugin_name, impl.plugin_name, ""))
            for spec in impl.function() or []:
                if not isinstance(spec, KINDS[kind]):
                    raise TypeError(f"plugin {info.dist} returned {type(spec).__name__} "
                                    f"from ferbench_register_{kind}")
                spec.plugin = spec.plugin or info.dist
                spec.version = spec.version or info.version
                if spec.name in out:
                    raise PluginConflict(
                        f"{kind[:-1]} '{spec.name}' is registered by both "
                        f"'{out[spec.name].plugin}' and '{spec.plugin}'")
                out[spec.name] = spec
        return out

    def get(self, kind: str, name: str):
        """The spec called `name`, or a UserError with close matches."""
        specs = self.specs(kind)
        if name in specs:
            return specs[name]
        close = difflib.get_close_matches(name, specs, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else \
            f"; see `ferbench list {kind}`"
        raise UserError(f"unknown {kind[:-1]} '{name}'{hint}")

    def task(self, name: str):
        """The Task object called `name` (created once per registry)."""
        tasks = self.__dict__.setdefault("_tasks", {})
        if name not in tasks:
            tasks[name] = self.get("tasks", name).create()
        return tasks[name]

    def find(self, kind: str, pattern: str | None = None) -> list:
        """Specs whose name matches a shell-style wildcard pattern, sorted by name."""
        specs = self.specs(kind)
        names = sorted(n for n in specs if pattern is None or fnmatch.fnmatch(n, pattern))
        return [specs[n] for n in names]


def _allowed(names: str | None) -> set[str] | None:
    if names is None:
        names = os.environ.get(ENV_PLUGINS)
    if not names:
        return None
    return {n.strip() for n in names.split(",") if n.strip()} | {CORE}


def load_registry(only: str | None = None, extra: list | None = None) -> Registry:
    """Load the entry points of group `ferbench` (restricted to the comma-separated names
    in `only` or $FERBENCH_PLUGINS) and register `extra` plugin objects too."""
    pm = pluggy.PluginManager(GROUP)
    pm.add_hookspecs(hookspecs)
    allowed = _allowed(only)
    infos: list[PluginInfo] = []
    for ep in sorted(entry_points(group=GROUP), key=lambda e: (e.name != CORE, e.name)):
        if allowed is not None and ep.name not in allowed:
            continue
        dist = ep.dist.name if ep.dist else ep.name
        version = ep.dist.version if ep.dist else ""
        if pm.has_plugin(ep.name):
            continue
        try:
            pm.register(ep.load(), name=ep.name)
            infos.append(PluginInfo(ep.name, dist, version))
        except Exception as exc:  # noqa: BLE001 - a broken plugin must not stop the rest
            infos.append(PluginInfo(ep.name, dist, version, f"{type(exc).__name__}: {exc}"))
    for i, obj in enumerate(extra or []):
        name = getattr(obj, "__name__", f"extra-{i}")
        pm.register(obj, name=name)
        infos.append(PluginInfo(name, name, ""))
    return Registry(pm, infos)


_REGISTRY: Registry | None = None


def get_registry() -> Registry:
    """The process-wide registry, loaded on first use."""
    global _REGISTRY
    if _REGISTRY is None:
        _REGISTRY = load_registry()
    return _REGISTRY


def set_registry(registry: Registry | None) -> None:
    """Replace the process-wide registry (tests, `--plugins`)."""
    global _REGISTRY
    _REGISTRY = registry
