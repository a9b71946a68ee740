"""Experiment configs: YAML, --set overrides, and errors that name the file and path."""

from __future__ import annotations

import pytest

from ganforge.config import apply_overrides, dump_config, load_config, parse_override, read_yaml
from ganforge.errors import ComponentNotFound, ConditionMismatch, ConfigError


def test_overrides_parse_as_yaml_scalars(config_tree):
    tree = apply_overrides(config_tree, ["train.steps=12", "train.ema.enabled=true", "optim.generator.betas=[0.5, 0.99]",
                                         "models.discriminator.ch=4", "train.precision=bf16"])
    assert tree["train"]["steps"] == 12
    assert tree["train"]["ema"] == {"enabled": True}
    assert tree["optim"]["generator"]["betas"] == [0.5, 0.99]
    assert tree["models"]["discriminator"] == {"type": "tiny_disc", "ch": 4}  # a name became a mapping
    assert config_tree["train"]["steps"] == 6  # the input is not modified
    assert parse_override("a.b=") == (["a", "b"], "")
    with pytest.raises(ConfigError, match="expected KEY.PATH=VALUE"):
        parse_override("train.steps")
    with pytest.raises(ConfigError, match="train.steps is 6, not a mapping"):
        apply_overrides(config_tree, ["train.steps.x=1"])


def test_overrides_index_into_lists():
    tree = {"strategies": [{"type": "a"}, "b"], "eval": {"metrics": ["psnr", "ssim"]}}
    out = apply_overrides(tree, ["strategies.0.pseudo_labels=false", "strategies.1.k=2", "eval.metrics.1=swd"])
    assert out == {"strategies": [{"type": "a", "pseudo_labels": False}, {"type": "b", "k": 2}],
                   "eval": {"metrics": ["psnr", "swd"]}}
    with pytest.raises(ConfigError, match="strategies is a list of 2; '2' is not an index into it"):
        apply_overrides(tree, ["strategies.2.k=1"])
    with pytest.raises(ConfigError, match="eval.metrics is a list of 2; 'first' is not an index"):
        apply_overrides(tree, ["eval.metrics.first=fid"])


def test_load_config_applies_overrides_and_round_trips(registry, write_config, config_tree, tmp_path):
    path = write_config(config_tree)
    exp = load_config(path, ["train.steps=9", "train.r1.gamma=1.5"])
    assert exp.train.steps == 9 and exp.train.r1.gamma == 1.5 and exp.train.r1.interval == 16
    assert exp.optim["generator"].betas == (0.0, 0.9)
    again = tmp_path / "again.yaml"
    again.write_text(dump_config(exp))
    assert load_config(again) == exp


@pytest.mark.parametrize("override, path, message", [
    ("train.stepz=3", "train.stepz", "unknown key"),
    ("colour=red", "colour", "unknown key"),
    ("train.precision=fp64", "train.precision", "'fp32', 'bf16' or 'fp16'"),
    ("train.steps=0", "train.steps", "greater than or equal to 1"),
    ("optim.generator.betas=[0.5, 1.5]", "optim.generator.betas", "betas must lie in [0, 1)"),
    ("schedule.type=linear", "schedule", "decay_steps > 0"),
])
def test_structural_errors_name_file_and_path(registry, write_config, config_tree, override, path, message):
    config = write_config(config_tree)
    with pytest.raises(ConfigError) as err:
        load_config(config, [override])
    text = str(err.value)
    assert text.startswith(f"{config}: invalid config")
    assert f"  {path}: " in text and message in text


def test_unknown_component_names_path_and_suggests(registry, write_config, config_tree):
    config = write_config(config_tree)
    with pytest.raises(ComponentNotFound) as err:
        load_config(config, ["models.generator.type=tiny_genn"])
    text = str(err.value)
    assert text.startswith(f"{config}: models.generator: no generator named 'tiny_genn'")
    assert "Did you mean 'tiny_gen'" in text


def test_bad_component_param_names_dotted_path(registry, write_config, config_tree):
    config = write_config(config_tree)
    with pytest.raises(ConfigError) as err:
        load_config(config, ["models.generator.ch=many"])
    assert "models.generator.ch: Input should be a valid integer" in str(err.value)
    with pytest.raises(ConfigError, match=r"models.discriminator.depth: Extra inputs"):
        load_config(config, ["models.discriminator.depth=3"])


def test_missing_condition_field_names_component(registry, write_config, config_tree):
    config = write_config(config_tree)
    with pytest.raises(ConditionMismatch) as err:
        load_config(config, ["models.generator.needs_instance=true"])
    text = str(err.value)
    assert text.startswith(str(config))
    assert "models.generator: generator 'tiny_gen' needs condition field 'instance'" in text
    assert "which nothing reaching the generator supplies (it has: label)" in text


def test_encoder_provides_count_as_condition_fields(registry, write_config, config_tree):
    config = write_config(config_tree)
    with pytest.raises(ConditionMismatch, match="needs condition field 'style'"):
        load_config(config, ["models.generator.use_style=true"])
    exp = load_config(config, ["models.generator.use_style=true", "models.encoder=tiny_enc"])
    assert exp.models["encoder"].type == "tiny_enc"


@pytest.mark.parametrize("override, message", [
    ("models.critic=tiny_disc", "models.critic: the recipe has no network 'critic'"),
    ("optim.mapping.lr=0.1", "optim.mapping: the recipe 'tiny_recipe' has no optimiser 'mapping'"),
    ("train.r1.gamma=1", None),
    ("train.r1.role=critic", None),
])
def test_recipe_level_errors(registry, write_config, config_tree, override, message):
    config = write_config(config_tree)
    if message is None:  # valid alone; r1 on a missing role is not
        load_config(config, [override])
        with pytest.raises(ConfigError, match="train.r1.role: no network 'critic'"):
            load_config(config, ["train.r1.gamma=1", "train.r1.role=critic"])
        return
    with pytest.raises(ConfigError) as err:
        load_config(config, [override])
    assert message in str(err.value)


def test_missing_required_network(registry, write_config, config_tree):
    del config_tree["models"]["discriminator"]
    with pytest.raises(ConfigError, match=r"models: the recipe 'tiny_recipe' needs models.discriminator \(a discriminator\)"):
        load_config(write_config(config_tree))


def test_yaml_problems_name_the_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("train: [unclosed\n")
    with pytest.raises(ConfigError, match=f"{bad}: invalid YAML"):
        read_yaml(bad)
    bad.write_text("- a list\n")
    with pytest.raises(ConfigError, match="a config is a mapping, got list"):
        read_yaml(bad)
    with pytest.raises(ConfigError, match="cannot read config"):
        read_yaml(tmp_path / "missing.yaml")
    bad.write_text("!!python/object/apply:os.system ['true']\n")
    with pytest.raises(ConfigError, match="invalid YAML"):  # safe_load refuses to run code
        read_yaml(bad)


def test_config_plugins_are_loaded_relative_to_the_config(write_config, config_tree, tmp_path):
    from conftest import PLUGIN
    from ganforge.registry import load, use_registry

    with use_registry(load(autoload=False, make_current=False)):  # nothing registered: the config brings its plugin
        (tmp_path / "local_tiny.py").write_text(PLUGIN.read_text())
        config_tree["plugins"] = ["local_tiny.py"]
        exp = load_config(write_config(config_tree))
        assert exp.plugins == [str(tmp_path / "local_tiny.py")]
        config_tree["plugins"] = ["missing_plugin.py"]
        with pytest.raises(ConfigError, match=r"plugins: plugin 'missing_plugin' \(.*missing_plugin.py\) requested by the config failed: FileNotFoundError"):
            load_config(write_config(config_tree, "other.yaml"))


def test_optimiser_type_rmsprop_is_built_with_its_settings(registry, config_tree, tmp_path):
    from ganforge.config import from_dict
    from ganforge.trainer import Trainer

    config_tree["optim"]["discriminator"] = {"type": "rmsprop", "lr": 1e-4, "weight_decay": 1e-4}
    trainer = Trainer(from_dict(config_tree), tmp_path / "run", show_progress=False)
    d, g = trainer.optimizers["discriminator"], trainer.optimizers["generator"]
    assert type(d).__name__ == "RMSprop" and type(g).__name__ == "Adam"
    assert d.defaults["lr"] == 1e-4 and d.defaults["weight_decay"] == 1e-4 and d.defaults["alpha"] == 0.99
    config_tree["optim"]["discriminator"] = {"type": "rmsprop", "betas": [0.0, 0.9]}
    with pytest.raises(ConfigError, match="optim.discriminator.betas: unknown key"):
        from_dict(config_tree)
    config_tree["optim"]["discriminator"] = {"type": "sgd"}
    with pytest.raises(ConfigError, match="'sgd' .* does not match any of the expected tags: 'adam', 'rmsprop'"):
        from_dict(config_tree)
