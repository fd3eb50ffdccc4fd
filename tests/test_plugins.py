"""The plugin manager: entry points, name conflicts, broken plugins, restriction."""

import subprocess
from types import SimpleNamespace

import pytest

from ferbench import ModelSpec, hookimpl
from ferbench.errors import PluginConflict, UserError
from ferbench.plugins import load_registry

from .conftest import PYTHON, python_subprocess_env


def _model_plugin(name: str, model: str):
    plugin = SimpleNamespace(__name__=name)
    plugin.ferbench_register_models = hookimpl(
        lambda: [ModelSpec(name=model, build="x:y", summary=name)])
    return plugin


def test_builtins_register_through_the_core_entry_point():
    registry = load_registry()
    core = [p for p in registry.plugins if p.name == "builtin"]
    assert core and core[0].dist == "ferbench" and not core[0].error
    assert registry.get("models", "resnet18").plugin == "ferbench"
    assert registry.get("datasets", "synthfer").plugin == "ferbench"
    assert registry.get("metrics", "macro_f1").higher_is_better


def test_unknown_name_suggests_close_matches():
    with pytest.raises(UserError, match="did you mean resnet18, "):
        load_registry().get("models", "resnet19")


def test_two_plugins_claiming_one_name_fail_naming_both():
    registry = load_registry(extra=[_model_plugin("dist-a", "twin"),
                                    _model_plugin("dist-b", "twin")])
    with pytest.raises(PluginConflict, match="'twin' is registered by both"):
        registry.specs("models")
    with pytest.raises(PluginConflict, match="dist-a.*dist-b|dist-b.*dist-a"):
        registry.specs("models")


def test_wrong_spec_type_is_reported_with_its_plugin():
    plugin = SimpleNamespace(__name__="confused")
    plugin.ferbench_register_datasets = hookimpl(lambda: ["not a spec"])
    with pytest.raises(TypeError, match="confused returned str"):
        load_registry(extra=[plugin]).specs("datasets")


def _fake_distribution(site, dist, entry, module_source):
    info = site / f"{dist.replace('-', '_')}-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[ferbench]\n{entry} = {entry}_mod\n")
    (site / f"{entry}_mod.py").write_text(module_source)


def test_broken_plugin_is_listed_and_the_rest_keep_working(tmp_path):
    site = tmp_path / "site"
    _fake_distribution(site, "ferbench-broken", "broken", "raise ImportError('no such lib')\n")
    _fake_distribution(site, "ferbench-good", "good",
                       "from ferbench import ModelSpec, hookimpl\n"
                       "@hookimpl\ndef ferbench_register_models():\n"
                       "    return [ModelSpec(name='good-net', build='x:y')]\n")
    env = python_subprocess_env(site)
    out = subprocess.run([PYTHON, "-m", "ferbench.cli", "plugins"], env=env,
                         capture_output=True, text=True, check=True).stdout
    assert "broken: ImportError: no such lib" in out
    assert "ferbench-good" in out
    out = subprocess.run([PYTHON, "-m", "ferbench.cli", "list", "models", "good*"], env=env,
                         capture_output=True, text=True, check=True).stdout
    assert "good-net" in out and "ferbench-good" in out
    env["FERBENCH_PLUGINS"] = "broken"
    out = subprocess.run([PYTHON, "-m", "ferbench.cli", "list", "models"], env=env,
                         capture_output=True, text=True, check=True).stdout
    assert "good-net" not in out and "resnet18" in out  # the core always loads
    out = subprocess.run([PYTHON, "-m", "ferbench.cli", "--plugins", "good", "plugins"],
                         env=python_subprocess_env(site), capture_output=True, text=True,
                         check=True).stdout
    assert "ferbench-good" in out and "ferbench-broken" not in out
