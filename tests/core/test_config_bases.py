"""Configs that say each thing once: `base:` files, `${...}` references, values a slot
passes down to its component, and `--print-config`."""

import textwrap

import pytest
import yaml
from pydantic import Field
from torch import nn

import ganforge
from ganforge import registry
from ganforge.config import read_config, resolve_tree
from ganforge.errors import ConfigError


def write(tmp_path, name, text):
    (tmp_path / name).write_text(textwrap.dedent(text))
    return tmp_path / name


def test_bases_merge_in_order_and_a_new_type_replaces_the_component(tmp_path):
    write(tmp_path, "common.yaml", """
        data: {type: synthetic, resolution: 32, seed: 3}
        models:
          generator: {type: spade, ngf: 16, norm: {type: spade, nhidden: 16}}
        train: {steps: 10, batch_size: 2}
    """)
    write(tmp_path, "more.yaml", "train: {batch_size: 4}\n")
    child = write(tmp_path, "child.yaml", """
        base: [common.yaml, more.yaml]
        data: {resolution: 64}
        models:
          generator: {norm: {type: adain}}
    """)
    tree = read_config(child)
    assert tree["data"] == {"type": "synthetic", "resolution": 64, "seed": 3}
    assert tree["models"]["generator"] == {"type": "spade", "ngf": 16, "norm": {"type": "adain"}}  # no nhidden
    assert tree["train"] == {"steps": 10, "batch_size": 4}
    assert resolve_tree(child, ["train.steps=5", "data.seed=1"])["train"]["steps"] == 5  # --set on the merged tree


def test_a_base_cycle_is_refused_with_the_chain(tmp_path):
    write(tmp_path, "a.yaml", "base: b.yaml\n")
    write(tmp_path, "b.yaml", "base: a.yaml\n")
    with pytest.raises(ConfigError, match=r"base cycle: .*a.yaml -> .*b.yaml -> .*a.yaml"):
        read_config(tmp_path / "a.yaml")
    write(tmp_path, "c.yaml", "base: 3\n")
    with pytest.raises(ConfigError, match=r"c.yaml: base: expected a config path or a list of them, got 3"):
        read_config(tmp_path / "c.yaml")


def test_references_take_the_value_at_their_path(tmp_path):
    cfg = write(tmp_path, "r.yaml", """
        models:
          mapping: {style_dim: 64}
          style_encoder: {style_dim: "${models.mapping.style_dim}"}
        x: ["${models.style_encoder.style_dim}"]
    """)
    tree = resolve_tree(cfg, ["models.mapping.style_dim=16"])
    assert tree["models"]["style_encoder"]["style_dim"] == 16 and tree["x"] == [16]
    write(tmp_path, "cycle.yaml", "a: ${b}\nb: ${a}\n")
    with pytest.raises(ConfigError, match=r"cycle.yaml: \$\{b\}: reference cycle b -> a -> b"):
        resolve_tree(tmp_path / "cycle.yaml")
    write(tmp_path, "missing.yaml", "c: ${nowhere.at.all}\n")
    with pytest.raises(ConfigError, match=r"missing.yaml: \$\{nowhere.at.all\}: no such value in the config"):
        resolve_tree(tmp_path / "missing.yaml")


class Norm(ganforge.Normalizer):
    """Takes a style width."""

    class Params(ganforge.Params):
        style_dim: int = Field(8, ge=1)

    def __init__(self, params, data, num_features):
        super().__init__(params, data, num_features)
        self.fc = nn.Linear(params.style_dim, num_features)


class Plain(ganforge.Normalizer):
    """Has no style width."""

    def __init__(self, params, data, num_features):
        super().__init__(params, data, num_features)


class Gen(ganforge.Generator):
    """Passes its style_dim down to its norm."""

    class Params(ganforge.Params):
        style_dim: int = Field(64, ge=1)
        norm: ganforge.ComponentSpec = ganforge.slot("normalizer", "styled", "the norm", inherit=("style_dim",))

    def __init__(self, params, data):
        super().__init__(params, data)
        self.norm = ganforge.build("normalizer", params.norm, data, num_features=4)


class Inheriting:
    @staticmethod
    @ganforge.hookimpl
    def ganforge_register(register):
        register("normalizer", "styled", Norm)
        register("normalizer", "plain", Plain)
        register("generator", "gen", Gen)


@pytest.mark.parametrize("spec,width", [
    ({"type": "gen", "style_dim": 32}, 32),                                        # inherited
    ({"type": "gen", "style_dim": 32, "norm": {"type": "styled", "style_dim": 5}}, 5),  # set: kept
    ({"type": "gen"}, 64),                                                          # the generator's default
])
def test_a_slot_passes_its_fields_down_unless_set(spec, width):
    with registry.use_registry(registry.load(autoload=False, objects=[("inheriting", Inheriting)],
                                             make_current=False)):
        g = ganforge.build("generator", spec, ganforge.DataInfo())
        assert g.norm.fc.in_features == width
        plain = ganforge.build("generator", {"type": "gen", "style_dim": 32, "norm": "plain"}, ganforge.DataInfo())
        assert isinstance(plain.norm, Plain)  # a component without the field gets nothing


def test_print_config_shows_the_resolved_config(tmp_path, capsys):
    from ganforge.cli import main

    base = write(tmp_path, "base.yaml", """
        data: {type: synthetic, resolution: 32}
        models:
          generator: {type: spade, ngf: 16, norm: {type: spade, nhidden: 16}}
          discriminator: {type: multiscale_patch, ndf: 16}
        strategy: {type: paired_conditional, vgg: null}
    """)
    child = write(tmp_path, "child.yaml", f"base: {base.name}\nmodels:\n  generator: {{ngf: 8}}\n")
    previous = registry._current
    try:
        main(["train", str(child), "--print-config", "--set", "train.steps=3"])
    finally:
        registry._current = previous
    shown = yaml.safe_load(capsys.readouterr().out)
    assert shown["models"]["generator"] == {"type": "spade", "ngf": 8, "norm": {"type": "spade", "nhidden": 16}}
    assert shown["train"] == {"steps": 3} and "base" not in shown
    assert not (tmp_path / "runs").exists()
