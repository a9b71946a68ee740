"""Fixtures: a registry holding the core, SPADE (whose D, losses and recipe SMIS uses) and
this plugin; tiny label maps; the official parameter counts."""

from __future__ import annotations

import pytest
import torch

import ganforge_smis.plugin
import ganforge_spade.plugin
from ganforge import Condition, DataInfo


@pytest.fixture
def registry(isolated_registry):
    """The current registry: the core, SPADE and SMIS."""
    return isolated_registry(("spade", ganforge_spade.plugin), ("smis", ganforge_smis.plugin))


@pytest.fixture
def data() -> DataInfo:
    """4 classes, no instances, 32x32: 'normal' upsampling gives 1x1 codes, so D = code_channels."""
    return DataInfo(fields=frozenset({"label"}), resolution=(32, 32), label_nc=4)


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
    """``make_condition(data, batch=2, seed=0)``: blocky label (and instance) maps."""
    return blocky_condition


@pytest.fixture
def tiny() -> dict:
    """Specs of tiny networks for 32x32 data with 4 classes."""
    return {"generator": {"type": "groupdnet", "ngf": 4, "num_upsampling_layers": "normal",
                          "groups": [4, 4, 2, 2, 1, 1, 1], "norm": {"type": "cg_norm", "nhidden": 8}},
            "encoder": {"type": "groupdnet", "ndf": 8, "num_upsampling_layers": "normal", "norm": "none"},
            "discriminator": {"type": "multiscale_patch", "ndf": 4, "n_layers": 2}}


# Parameter counts of Seanseattle/SMIS's networks at the official settings (scripts/*.sh and
# each dataset's options), read by building its DeepFashionGenerator / CityscapesGenerator /
# ADE20KGenerator, ConvEncoder and MultiscaleDiscriminator and summing numel().
OFFICIAL = {"deepfashion": {"G": 96_324_451, "E": 12_835_712, "D": 5_544_066},
            "cityscapes": {"G": 76_501_358, "E": 5_768_210, "D": 5_601_410},
            # ADE20KGenerator builds an up_4 block (2 ngf -> ngf) that its forward never runs
            "ade20k": {"G": 68_326_847, "E": 4_411_012, "D": 5_836_930, "G_unused_up_4": 1_868_132}}


@pytest.fixture
def official_counts() -> dict[str, dict[str, int]]:
    return OFFICIAL
