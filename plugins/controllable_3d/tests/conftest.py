"""Fixtures: a registry holding exactly this plugin, a tiny generator."""

from __future__ import annotations

import pytest
import torch

import ganforge
import ganforge_controllable_3d.plugin
from ganforge import DataInfo

TINY = {"type": "controllable_3d", "z_dim": 16, "n_prim": 2, "background": "learned", "n_points": 8, "hidden": [16, 16], "nfilter": 8,
        "nfilter_max": 16, "style_dim": 8, "norm": {"type": "controllable_3d_adain", "style_dim": 8}}


@pytest.fixture
def c3d(isolated_registry):
    return isolated_registry(("controllable_3d", ganforge_controllable_3d.plugin))


@pytest.fixture
def data() -> DataInfo:
    return DataInfo(fields=frozenset({"z"}), resolution=(16, 16))


@pytest.fixture
def tiny_generator(c3d, data):
    torch.manual_seed(0)
    return ganforge.build("generator", TINY, data).eval()
