import inspect

import pytest
import torch

import ganforge
from ganforge import ComponentNotFound, ConditionMismatch, ConfigError, DataInfo, PluginError
from ganforge.registry import check_requirements
from ganforge.testing import check_component


@pytest.fixture
def reg(isolated_registry, toy_plugin):
    return isolated_registry(("toy", toy_plugin), core=False)


def test_records_carry_origin_and_summary(reg, toy_plugin):
    rec = reg.get("normalizer", "scale_norm")
    assert rec.plugin == "toy" and rec.cls is toy_plugin.ScaleNorm and rec.paper == "test"
    assert rec.summary == "Instance norm with a learned scale per channel, conditioned on nothing."
    assert [r.name for r in reg.records("normalizer", "*_norm")] == ["label_norm", "scale_norm"]


def test_build_from_name_dict_and_params_model(reg, toy_plugin):
    data = DataInfo(label_nc=3, resolution=(8, 8))
    a = ganforge.build("normalizer", "scale_norm", data, num_features=4)
    b = ganforge.build("normalizer", {"type": "scale_norm", "eps": 0.1}, data, num_features=4)
    assert (a.params.eps, b.params.eps) == (1e-5, 0.1)
    g = ganforge.build("generator", toy_plugin.TinyGenerator.Params(width=5), data)
    assert g.params.width == 5 and isinstance(g.norm, toy_plugin.ScaleNorm)
    with pytest.raises(ganforge.AmbiguousComponent, match="'label_norm', 'scale_norm' share params model"):
        ganforge.build("normalizer", toy_plugin.ScaleNorm.Params(eps=0.2), data, num_features=4)


def test_nested_spec_swaps_the_normalizer(reg, toy_plugin):
    data = DataInfo(label_nc=3, resolution=(8, 8))
    g = ganforge.build("generator", {"type": "tiny", "norm": {"type": "label_norm"}}, data)
    assert isinstance(g.norm, toy_plugin.LabelNorm)
    out = g(ganforge.Condition(label=torch.randint(0, 3, (2, 8, 8))))
    assert out.shape == (2, 3, 8, 8)


def test_unknown_name_suggests_close_matches(reg):
    with pytest.raises(ComponentNotFound, match=r"Did you mean 'scale_norm'.*Registered normalizers: label_norm, scale_norm"):
        ganforge.build("normalizer", "scale_nrom", DataInfo(), num_features=2)


def test_bad_nested_param_names_the_config_path(reg):
    with pytest.raises(ConfigError) as err:
        ganforge.build("generator", {"type": "tiny", "norm": {"type": "scale_norm", "eps": -1}}, DataInfo(label_nc=2))
    assert "generator.norm.eps: Input should be greater than 0" in str(err.value)
    with pytest.raises(ConfigError, match=r"generator.widht: Extra inputs are not permitted"):
        ganforge.build("generator", {"type": "tiny", "widht": 3}, DataInfo(label_nc=2))


def test_missing_condition_field_names_component_field_and_data(reg):
    data = DataInfo(fields=frozenset({"edge"}), label_nc=2)
    with pytest.raises(ConditionMismatch) as err:
        ganforge.build("generator", {"type": "tiny", "norm": "label_norm"}, data)
    msg = str(err.value)
    assert "generator: generator 'tiny' needs condition field 'label'" in msg
    assert "generator.norm: normalizer 'label_norm' needs condition field 'label'" in msg
    assert "the data provides: edge" in msg


def test_fields_a_component_feeds_its_slots_need_not_come_from_the_data(isolated_registry, toy_plugin):
    class Feeder(toy_plugin.TinyGenerator):
        """Makes a label map itself and hands it to its norm slot."""

        feeds = frozenset({"label"})

    class FeederPlugin:
        @staticmethod
        @ganforge.hookimpl
        def ganforge_register(register):
            register("generator", "feeder", Feeder, paper="test")

    isolated_registry(("toy", toy_plugin), ("feeder", FeederPlugin), core=False)
    spec = {"type": "feeder", "norm": "label_norm"}
    check_requirements("generator", spec, DataInfo(fields=frozenset({"label"}), label_nc=2))
    with pytest.raises(ConditionMismatch) as err:  # its own requirement still counts, the slot's not
        check_requirements("generator", spec, DataInfo(fields=frozenset({"edge"}), label_nc=2))
    assert "generator: generator 'feeder' needs condition field 'label'" in str(err.value)
    assert "generator.norm" not in str(err.value)


def test_expect_checks_the_role_of_a_slot(reg):
    with pytest.raises(ConfigError, match="needs a AdversarialLoss"):
        ganforge.build("normalizer", "scale_norm", DataInfo(), expect=ganforge.AdversarialLoss, num_features=2)


def test_plugin_condition_field_is_usable(reg):
    c = ganforge.Condition(pose=torch.zeros(1, 3, 4, 4))
    assert c.resized((2, 2))["pose"].shape == (1, 3, 2, 2)


def test_registration_errors_fail_only_that_plugin(isolated_registry, toy_plugin):
    class Bad:
        @staticmethod
        @ganforge.hookimpl
        def ganforge_register(register):
            register("normalizer", "Bad-Name", toy_plugin.ScaleNorm)

    reg = isolated_registry(("toy", toy_plugin), ("bad", Bad), strict=False, core=False)
    bad = {p.name: p for p in reg.plugins}["bad"]
    assert bad.status == "failed" and "names are lower case" in bad.error
    line = inspect.getsourcelines(Bad.ganforge_register)[1] + 3  # the plugin's register(...) line
    assert bad.error.endswith(f"(at {__file__}:{line})")  # not registry/components.py
    assert reg.get("generator", "tiny")  # the others keep working
    with pytest.raises(PluginError, match="plugin bad"):
        isolated_registry(("toy", toy_plugin), ("bad", Bad), strict=True, core=False)


def test_wrong_base_class_is_named(isolated_registry, toy_plugin):
    class Wrong:
        @staticmethod
        @ganforge.hookimpl
        def ganforge_register(register):
            register("generator", "oops", toy_plugin.ScaleNorm)

    reg = isolated_registry(("wrong", Wrong), strict=False, core=False)
    assert "is not a subclass of ganforge.Generator" in {p.name: p for p in reg.plugins}["wrong"].error


def test_check_component_passes_for_conforming_components(reg):
    data = DataInfo(fields=frozenset({"label"}), label_nc=3, resolution=(8, 8))
    for kind, name in [("normalizer", "scale_norm"), ("normalizer", "label_norm"), ("generator", "tiny")]:
        checked = check_component(kind, name, data=data)
        assert "backward reaches every trainable parameter" in checked.checks


def test_check_component_catches_a_dead_parameter(isolated_registry, toy_plugin):
    class Dead(toy_plugin.ScaleNorm):
        """A norm with a parameter that never receives a gradient."""

        def __init__(self, params, data, num_features):
            super().__init__(params, data, num_features)
            self.unused = torch.nn.Parameter(torch.zeros(1))

    class P:
        @staticmethod
        @ganforge.hookimpl
        def ganforge_register(register):
            register("normalizer", "dead", Dead)

    isolated_registry(("p", P), core=False)
    with pytest.raises(AssertionError, match=r"no gradient for parameters \['unused'\]"):
        check_component("normalizer", "dead")


def test_check_component_catches_a_tensor_attribute_that_does_not_move(isolated_registry, toy_plugin):
    class Stale(toy_plugin.ScaleNorm):
        """Keeps a tensor as a plain attribute, which .to() cannot move."""

        def __init__(self, params, data, num_features):
            super().__init__(params, data, num_features)
            self.shift = torch.zeros(1)

        def forward(self, x, cond):
            return super().forward(x, cond) + self.shift.to(x)

    class P:
        @staticmethod
        @ganforge.hookimpl
        def ganforge_register(register):
            register("normalizer", "stale", Stale)

    isolated_registry(("p", P), core=False)
    with pytest.raises(AssertionError, match=r"did not move tensors \['shift'\]"):
        check_component("normalizer", "stale")


def test_load_without_make_current_leaves_the_current_registry(isolated_registry):
    from ganforge import registry

    current = isolated_registry()
    other = registry.load(autoload=False, make_current=False)
    assert registry.get_registry() is current and other is not current
