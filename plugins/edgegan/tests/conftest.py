"""Fixtures: a registry holding the core, SPADE (the background recipe's GAN loss) and this
plugin; the official parameter counts; tiny network specs."""

from __future__ import annotations

import pytest

import ganforge_edgegan.plugin
import ganforge_spade.plugin
from ganforge import DataInfo


@pytest.fixture
def edgegan(isolated_registry):
    return isolated_registry(("spade", ganforge_spade.plugin), ("edgegan", ganforge_edgegan.plugin))


@pytest.fixture
def objects() -> DataInfo:
    """Object crops of 14 classes (SketchyCOCO's foreground), 64 px."""
    return DataInfo(fields=frozenset({"edge", "class_label"}), resolution=(64, 64), num_classes=14)


# Parameters of the released TF code (sysu-imsl/EdgeGAN, edgegan/models/*.py) at its flags
# (z_dim 100, 14 classes, gf_dim = df_dim = 64, 64 x 128 (edge | image) inputs, critics of
# D_patch2 / D_patch3 at 128 px, if_resnet_e), counted by hand from each layer's variables
# (trainable only: the spectral-norm 'u' vectors are not): see the README's table.
_OFFICIAL = {
    "G1": 5_248_131,  # edge generator: linear 114 -> 4x4x512, deconvs 512-256-128-64-3 (5x5)
    "G2": 5_248_131,  # image generator, same layers
    "D": 2_771_969,  # joint critic on 64 x 128: convs 3-64-128-256-512 (4x4, no bias) + linear 16384 -> 1
    "D_patch2": 2_788_353,  # image critic on 128 x 128: same convs + linear 32768 -> 1
    "D_patch3": 2_788_353,  # edge critic, same as D_patch2
    "D2": 17_151_293,  # classifier: 7x7 conv, 4 MRU units (SN), 1x1 head, linear 768 -> 14, 14 PReLU slopes
    "E": 9_907_592,  # edge encoder: 4x4 conv, residual blocks 128-256-512-512, mu and log sigma heads
}

# pix2pix (junyanz/pytorch-CycleGAN-and-pix2pix, models/networks.py) with its defaults,
# input_nc = output_nc = 3: define_G('unet_256', batch norm) and define_D('basic') on 6
# channels, counted by hand from its layers; pix2pix itself prints "54.414 M" and "2.769 M".
_PIX2PIX = {"unet_256": 54_413_955, "basic": 2_768_705}


@pytest.fixture
def official() -> dict[str, int]:
    """Network name in the TF code (its variable scope) -> parameters."""
    return dict(_OFFICIAL)


@pytest.fixture
def pix2pix() -> dict[str, int]:
    """pix2pix network -> parameters."""
    return dict(_PIX2PIX)


@pytest.fixture
def tiny() -> dict:
    """Small foreground networks for 32 px crops of 5 classes."""
    return {"generator": {"type": "edgegan", "z_dim": 8, "ngf": 4, "size": 32},
            "encoder": {"type": "edgegan_edge", "z_dim": 8, "nef": 4, "size": 32},
            "joint_discriminator": {"type": "edgegan_critic", "ndf": 4, "size": [32, 64]},
            "image_discriminator": {"type": "edgegan_critic", "ndf": 4, "size": [32, 32]},
            "edge_discriminator": {"type": "edgegan_critic", "ndf": 4, "size": [32, 32]},
            "classifier": {"type": "edgegan_classifier", "width": 2, "stem": 4}}
