"""Every CoCosNet component passes ganforge's conformance checks."""

from __future__ import annotations

import pytest

from ganforge.testing import check_component
from ganforge.testing.conformance import default_data

CORR = {"type": "cocosnet_correspondence", "ngf": 4, "match_channels": 8}


@pytest.mark.parametrize("kind, spec", [
    ("normalizer", {"type": "cocosnet_spade", "nhidden": 8}),
    ("normalizer", {"type": "cocosnet_spade", "nhidden": 8, "inputs": ["edge"], "param_free_norm": "instance"}),
    ("encoder", CORR),
    ("encoder", {**CORR, "chunk_size": 5, "cycle": True, "down": 2, "warp_bilinear": True}),
    ("encoder", {**CORR, "maskmix": False, "domain_field": "edge"}),
    ("generator", {"type": "cocosnet", "ngf": 4, "norm": {"type": "cocosnet_spade", "nhidden": 8}}),
    ("discriminator", {"type": "cocosnet_patch", "ndf": 8, "n_layers": 3}),
    ("strategy", {"type": "cocosnet", "contextual": {"type": "cocosnet_contextual", "weights": "none"}}),
    ("strategy", {"type": "cocosnet_pairing"}),
])
def test_component_conforms(registry, kind, spec):
    params = {k: v for k, v in spec.items() if k != "type"}
    # the translation network starts at 1/32 of the image: 64x64 gives it a 2x2 start
    data = default_data(resolution=(64, 64)) if kind == "generator" else None
    checked = check_component(kind, spec["type"], params, data=data)
    if kind != "strategy":
        assert "backward reaches every trainable parameter" in checked.checks


def test_plugin_is_discovered_through_its_entry_point():
    from importlib.metadata import entry_points

    import ganforge_cocosnet.plugin

    (ep,) = [e for e in entry_points(group="ganforge") if e.name == "cocosnet"]
    assert ep.value == "ganforge_cocosnet.plugin"
    assert ganforge_cocosnet.plugin.GANFORGE_API == "1.0"
