"""Every component passes ganforge's conformance kit (shapes, gradients to every parameter,
state_dict round trip, .to(), same seed -> same output, documented params)."""

import pytest

import ganforge
from ganforge.testing import check_component

DATA = dict(fields=frozenset({"label", "instance"}), resolution=(32, 32), label_nc=4)


@pytest.mark.parametrize("kind, spec", [
    ("normalizer", {"type": "cg_norm", "nhidden": 8}),
    ("normalizer", {"type": "cg_norm", "variant": "cityscapes", "param_free_norm": "instance"}),
    ("normalizer", {"type": "cg_norm", "variant": "ade20k"}),
    ("generator", "tiny"),
    ("encoder", "tiny"),
])
def test_conformance(registry, tiny, kind, spec):
    if spec == "tiny":
        spec = tiny[kind]
    name, params = spec["type"], {k: v for k, v in spec.items() if k != "type"}
    checked = check_component(kind, name, params=params, data=ganforge.DataInfo(**DATA))
    assert "same seed, same output" in checked.checks and "backward reaches every trainable parameter" in checked.checks


@pytest.mark.parametrize("name", ["mcsd", "mocd"])
def test_metrics_conform(registry, name):
    checked = check_component("metric", name, params={"backbone_weights": "none", "lin_weights": "none"},
                              data=ganforge.DataInfo(**{**DATA, "fields": frozenset({"label", "mask"})}))
    assert set(checked.output) == {name}


def test_installed_entry_point_registers_every_component(isolated_registry):
    from importlib.metadata import entry_points

    (ep,) = [e for e in entry_points(group="ganforge") if e.name == "smis"]
    assert ep.value == "ganforge_smis.plugin" and ep.dist.name == "ganforge-smis"
    module = ep.load()
    assert module.GANFORGE_API == "1.0"
    registry = isolated_registry(("smis", module), core=False)
    assert {(r.kind, r.name) for r in registry.records()} == {
        ("normalizer", "cg_norm"), ("generator", "groupdnet"), ("encoder", "groupdnet"), ("metric", "mcsd"),
        ("metric", "mocd")}
    assert all(r.summary and r.paper == "arXiv:2003.12697" for r in registry.records())
