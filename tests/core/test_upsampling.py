"""The upsampler kind and the core's nearest-neighbour upsampler."""

import pytest
import torch
import torch.nn.functional as F

import ganforge
from ganforge.testing import check_component


def test_nearest_passes_the_conformance_checks_and_equals_interpolate(ganforge_registry):
    checked = check_component("upsampler", "nearest")
    x = torch.randn(2, 8, 5, 7)
    up = ganforge.build("upsampler", "nearest", ganforge.DataInfo(), num_features=8)
    assert torch.equal(up(x, ganforge.Condition({})), F.interpolate(x, scale_factor=2, mode="nearest"))
    assert checked.output.shape[-2:] == (64, 64)


def test_an_upsampler_must_subclass_the_base(isolated_registry):
    class NotAnUpsampler(torch.nn.Module):
        pass

    class Bad:
        @ganforge.hookimpl
        def ganforge_register(self, register):
            register("upsampler", "bad", NotAnUpsampler)

    with pytest.raises(ganforge.PluginError, match="not a subclass of ganforge.Upsampler"):
        isolated_registry(("bad", Bad()))
