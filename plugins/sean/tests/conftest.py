"""Fixtures: a registry holding the core, SPADE and this plugin, and tiny label maps."""

from __future__ import annotations

import pytest
import torch

import ganforge_sean.plugin
import ganforge_spade.plugin
from ganforge import Condition, DataInfo


@pytest.fixture
def registry(isolated_registry):
    """The current registry: the core, SPADE (whose components SEAN reuses) and SEAN."""
    return isolated_registry(("spade", ganforge_spade.plugin), ("sean", ganforge_sean.plugin))


@pytest.fixture
def data() -> DataInfo:
    """4 classes, 32x32, with style matrices provided (by the encoder in a real run)."""
    return DataInfo(fields=frozenset({"label", "region_style"}), resolution=(32, 32), label_nc=4)


def _condition(data: DataInfo, batch: int = 2, seed: int = 0, style_length: int = 8) -> Condition:
    """Blocky label maps (8x8 regions) of ``data``'s size and a random style matrix."""
    gen = torch.Generator().manual_seed(seed)
    h, w = data.resolution
    label = torch.randint(0, data.label_nc, (batch, h // 8, w // 8), generator=gen)
    label = label.repeat_interleave(8, 1).repeat_interleave(8, 2)
    codes = torch.randn(batch, data.label_nc, style_length, generator=gen)
    return Condition(label=label, region_style=codes)


@pytest.fixture
def make_condition():
    """``make_condition(data, batch=2, seed=0, style_length=8)`` -> label map + style matrix."""
    return _condition


TINY_NORM = {"type": "sean", "style_length": 8, "nhidden": 8}
TINY = {
    "norm": TINY_NORM,
    "final_norm": {"type": "sean", "use_style": False, "nhidden": 8},
    "encoder": {"type": "sean_style", "style_length": 8, "ngf": 2},
}
TINY["generator"] = {"type": "sean", "ngf": 2, "norm": TINY_NORM, "final_norm": TINY["final_norm"]}


@pytest.fixture
def tiny() -> dict:
    """Specs of tiny SEAN components (style_length 8): norm, final_norm, encoder, generator."""
    return {k: dict(v) for k, v in TINY.items()}
