"""Parameter counts equal the official implementation's (Cold-Winter/BachGAN, counted by
instantiating its SPADEGenerator with --retrival_memory and its MultiscaleDiscriminator).

The official generator object also holds layers that never reach the image (an FCN from
abandoned variants whose forward is commented out, and the --seg head ``conv_seg``, off in
the released runs); they are counted separately, and ours equals the rest exactly."""

from __future__ import annotations

import pytest
import torch

import ganforge
from ganforge import DataInfo

# Official netG / netD (Cityscapes: label_nc 35, no instance, 256x512, 'more'; ADE20K: 150 + don't care, 256x256).
OFFICIAL = {
    "cityscapes": {"netG": 98_294_542, "netG_unused": 5_254_371, "netD": 5_599_362},
    "ade20k": {"netG": 102_224_506, "netG_unused": 5_321_303, "netD": 5_836_930},
}
# The unused layers (same for both datasets but conv_seg, whose output has label channels).
UNUSED_CITYSCAPES = {"conv1_1": 20_224, "conv1_1_memory": 40_384, "conv1_2": 102_464, "conv2_1": 73_856,
                     "conv2_2": 409_728, "upscore": 4_587_520, "conv_seg": 20_195}

CONFIGS = {
    "cityscapes": (DataInfo(fields=frozenset({"label", "instance", "boxes", "retrieved"}), resolution=(256, 512),
                            label_nc=35), {"num_upsampling_layers": "more"}),
    "ade20k": (DataInfo(fields=frozenset({"label", "boxes", "retrieved"}), resolution=(256, 256), label_nc=150,
                        contain_dontcare_label=True), {"num_upsampling_layers": "normal"}),
}


def _count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_unused_layers_add_up():
    assert sum(UNUSED_CITYSCAPES.values()) == OFFICIAL["cityscapes"]["netG_unused"]


@pytest.mark.parametrize("dataset", sorted(CONFIGS))
def test_counts_equal_the_official_networks(dataset):
    data, extra = CONFIGS[dataset]
    with torch.device("meta"):
        g = ganforge.build("generator", {"type": "bachgan", **extra}, data)
        d = ganforge.build("discriminator", "bachgan_patch", data)
    official = OFFICIAL[dataset]
    assert _count(g) == official["netG"] - official["netG_unused"]
    assert _count(d) == official["netD"]
    assert _count(g.fusion) == 2 * (9 * data.label_nc ** 2 if dataset == "cityscapes" else 9 * 151 ** 2) + 2 * (
        35 if dataset == "cityscapes" else 151)
