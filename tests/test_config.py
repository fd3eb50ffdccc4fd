"""RunConfig: -o options, YAML files and the recipe's precedence."""

import pytest

from ferbench.config import (
    RunConfig,
    apply_options,
    parse_assignments,
    read_yaml,
    resolve_hparams,
)
from ferbench.errors import UserError


def test_assignments_parse_yaml_values():
    config = RunConfig(model="m", dataset="d")
    options = parse_assignments(["lr=3e-4", "augment.hflip=false", "lr_table=[[0, 1e-3]]",
                                 "batch_size=7"])
    apply_options(config, options, "-o")
    assert config.hparams == {"lr": 3e-4, "augment": {"hflip": False},
                              "lr_table": [[0, 1e-3]], "batch_size": 7}


def test_options_route_to_hparams_model_and_data():
    config = RunConfig(model="m", dataset="d")
    apply_options(config, {"lr": 0.01, "model.width": 8, "data.subjects": 4,
                           "augment.rotate": 5, "seed": 3}, "-o")
    assert config.hparams == {"lr": 0.01, "augment": {"rotate": 5.0}}
    assert config.model_options == {"width": 8}
    assert config.data_options == {"subjects": 4}
    assert config.seed == 3


@pytest.mark.parametrize("options,message", [
    ({"learning_rate": 1}, "unknown option 'learning_rate'"),
    ({"epochs": "many"}, "option epochs: expected int"),
    ({"epochs": 0}, "option epochs: expected a value >= 1"),
    ({"optimizer": "rmsprop"}, "option optimizer: expected one of adam, adamw, sgd"),
    ({"augment.blur": 1}, "unknown option augment.blur"),
])
def test_bad_options_name_the_option(options, message):
    config = RunConfig(model="m", dataset="d")
    with pytest.raises(UserError, match=message):  # known keys fail here, unknown ones ...
        apply_options(config, options, "-o")
        resolve_hparams({}, config.hparams)  # ... against the model spec's declared ones


def test_precedence_spec_defaults_then_overrides():
    defaults = {"lr": 0.1, "epochs": 50, "augment": {"hflip": True, "shift": 0.1}}
    hp = resolve_hparams(defaults, {"lr": 0.5, "augment": {"shift": 0.0}})
    assert hp["lr"] == 0.5 and hp["epochs"] == 50
    assert hp["augment"] == {"hflip": True, "shift": 0.0}
    assert hp["optimizer"] == "adamw"  # ferbench's base value


def test_yaml_errors_name_the_file(tmp_path):
    bad = tmp_path / "run.yaml"
    bad.write_text("model: [unclosed\n")
    with pytest.raises(UserError, match=r"run.yaml: line \d+ invalid YAML"):
        read_yaml(str(bad))
    with pytest.raises(UserError, match="cannot read"):
        read_yaml(str(tmp_path / "missing.yaml"))
    bad.write_text("- a list\n")
    with pytest.raises(UserError, match="expected a mapping"):
        read_yaml(str(bad))
