"""Every component passes ganforge's conformance checks."""

from __future__ import annotations

import pytest
import torch

from ganforge import Condition
from ganforge.testing import check_component


def _upsample_call(upsampler, cond):
    """Features at 32x32 and a 64x64 panoptic map whose segments are not aligned with
    the 2x2 blocks (the default call would only upsample the 32x32 condition), so that
    alignment and holes are both exercised."""
    gen = torch.Generator().manual_seed(5)
    label = torch.randint(0, 4, (2, 64, 64), generator=gen)
    fine = Condition(label=label, panoptic=label + 5 * torch.randint(0, 2, (2, 64, 64), generator=gen))
    return upsampler(torch.randn(2, upsampler.num_features, 32, 32, generator=gen), fine)


@pytest.mark.parametrize("kind, name, params, call", [
    ("upsampler", "panoptic_upsample", {}, _upsample_call),
    ("normalizer", "panoptic_spade", {"nhidden": 8}, None),
    ("generator", "panoptic", {"ngf": 2, "norm": {"type": "panoptic_spade", "nhidden": 8}}, None),
])
def test_component_conforms(registry, kind, name, params, call):
    checked = check_component(kind, name, params, call=call)
    assert "backward reaches every trainable parameter" in checked.checks
    assert "state_dict round trip" in checked.checks


def test_metric_conforms(registry):
    checked = check_component("metric", "instance_boundary")
    assert checked.checks


def test_plugin_is_discovered_through_its_entry_point():
    from importlib.metadata import entry_points

    import ganforge_panoptic.plugin

    (ep,) = [e for e in entry_points(group="ganforge") if e.name == "panoptic"]
    assert ep.value == "ganforge_panoptic.plugin"
    assert ganforge_panoptic.plugin.GANFORGE_API == "1.0"
