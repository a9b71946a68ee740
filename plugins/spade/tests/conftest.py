"""Fixtures: a registry holding exactly this plugin, and tiny data descriptions."""

from __future__ import annotations

import pytest
import torch

import ganforge
import ganforge_spade.plugin
from ganforge import Condition, DataInfo


@pytest.fixture(autouse=True)
def one_thread():
    """These tensors are tiny: one intra-op thread is faster than two fighting over a shared CPU."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def spade(isolated_registry):
    """The current registry: this plugin only (no entry points, no core plugin)."""
    return isolated_registry(("spade", ganforge_spade.plugin), core=False)


@pytest.fixture
def data() -> DataInfo:
    """Label map with 5 classes and instance ids, 32x64 (aspect ratio 2, as Cityscapes)."""
    return DataInfo(fields=frozenset({"label", "instance"}), resolution=(32, 64), label_nc=5)


def condition(data: DataInfo, batch: int = 2, seed: int = 0) -> Condition:
    """Blocky label and instance maps (regions of 8x8 pixels) of ``data``'s size."""
    gen = torch.Generator().manual_seed(seed)
    h, w = data.resolution
    nc = data.label_nc + int(data.contain_dontcare_label)
    blocks = lambda high: torch.randint(0, high, (batch, h // 8, w // 8), generator=gen).repeat_interleave(
        8, 1).repeat_interleave(8, 2)
    fields = {"label": blocks(nc)}
    if "instance" in data.fields:
        fields["instance"] = blocks(4)
    return Condition(fields)


TINY_G = {"type": "spade", "ngf": 2, "norm": {"type": "spade", "nhidden": 8}}
TINY_D = {"type": "multiscale_patch", "ndf": 4, "n_layers": 2}
TINY_E = {"type": "spade_vae", "ndf": 2, "input_size": 32, "z_dim": 8}
