"""Fixtures: a registry holding exactly this plugin, and tiny data descriptions."""

from __future__ import annotations

import pytest
import torch

import ganforge_spade.plugin
from ganforge import Condition, DataInfo


@pytest.fixture
def spade(isolated_registry):
    """The current registry: the core and this plugin only (no other entry points)."""
    return isolated_registry(("spade", ganforge_spade.plugin))


@pytest.fixture
def data() -> DataInfo:
    """Label map with 5 classes and instance ids, 32x64 (aspect ratio 2, as Cityscapes)."""
    return DataInfo(fields=frozenset({"label", "instance"}), resolution=(32, 64), label_nc=5)


def blocky_condition(data: DataInfo, batch: int = 2, seed: int = 0) -> Condition:
    """Label (and instance) maps of ``data``'s size made of 8x8 regions."""
    gen = torch.Generator().manual_seed(seed)
    h, w = data.resolution
    nc = data.label_nc + int(data.contain_dontcare_label)
    blocks = lambda high: torch.randint(0, high, (batch, h // 8, w // 8), generator=gen).repeat_interleave(
        8, 1).repeat_interleave(8, 2)
    fields = {"label": blocks(nc)}
    if "instance" in data.fields:
        fields["instance"] = blocks(4)
    return Condition(fields)


@pytest.fixture
def make_condition():
    """``make_condition(data, batch=2, seed=0)``: blocky label and instance maps."""
    return blocky_condition


@pytest.fixture
def tiny() -> dict:
    """Specs of tiny networks (a few thousand parameters) for fast tests."""
    return {"generator": {"type": "spade", "ngf": 2, "norm": {"type": "spade", "nhidden": 8}},
            "discriminator": {"type": "multiscale_patch", "ndf": 4, "n_layers": 2},
            "encoder": {"type": "spade_vae", "ndf": 2, "input_size": 32, "z_dim": 8}}


# Parameter counts of NVlabs/SPADE's networks at the paper's settings: read by building its
# SPADEGenerator, MultiscaleDiscriminator and ConvEncoder with each dataset's options
# (data/cityscapes_dataset.py, ade20k_dataset.py, coco_dataset.py) and summing numel().
@pytest.fixture
def official_counts() -> dict[str, tuple[int, int, int, int]]:
    """dataset -> (G, G with --use_vae, D, E)."""
    return {"cityscapes": (93_048_003, 101_136_579, 5_601_410, 10_463_424),
            "ade20k": (96_492_483, 111_942_595, 5_836_930, 10_463_424),
            "coco_stuff": (97_480_899, 112_626_883, 5_904_514, 10_463_424)}


@pytest.fixture
def paper_data() -> dict[str, tuple[DataInfo, str]]:
    """dataset -> (DataInfo, num_upsampling_layers) as SPADE's dataset options define them."""
    return {"cityscapes": (DataInfo(fields=frozenset({"label", "instance"}), resolution=(256, 512), label_nc=35),
                           "more"),
            "ade20k": (DataInfo(fields=frozenset({"label"}), resolution=(256, 256), label_nc=150,
                                contain_dontcare_label=True), "normal"),
            "coco_stuff": (DataInfo(fields=frozenset({"label", "instance"}), resolution=(256, 256), label_nc=182,
                                    contain_dontcare_label=True), "normal")}
