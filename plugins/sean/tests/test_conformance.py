"""Every SEAN component passes ganforge's conformance checks."""

from __future__ import annotations

import pytest

from ganforge.testing import check_component


@pytest.mark.parametrize("kind, role, overrides", [
    ("normalizer", "norm", {}),
    ("normalizer", "norm", {"use_style": False}),
    ("encoder", "encoder", {}),
    ("generator", "generator", {}),
])
def test_component_conforms(registry, tiny, kind, role, overrides):
    spec = {**tiny[role], **overrides}
    params = {k: v for k, v in spec.items() if k != "type"}
    checked = check_component(kind, spec["type"], params, dims={"D": 8})
    assert "backward reaches every trainable parameter" in checked.checks


def test_plugin_is_discovered_through_its_entry_point():
    """The installed distribution registers under the plugin name 'sean' with API 1.0."""
    from importlib.metadata import entry_points

    import ganforge_sean.plugin

    (ep,) = [e for e in entry_points(group="ganforge") if e.name == "sean"]
    assert ep.value == "ganforge_sean.plugin"
    assert ganforge_sean.plugin.GANFORGE_API == "1.0"
