"""Parameter counts at the paper's configuration (256x256, ch 64, n_res 6, n_dis 7) equal
the official alpc91/NICE-GAN-pytorch networks'.

The official numbers were read by instantiating ResnetGenerator(3, 3, 64, 6, 256, light)
and Discriminator(3, 64, 7) of networks.py and summing ``numel()`` over ``parameters()``
(spectral norm's weight_orig counted once, its u / v are buffers). Networks are built on
the meta device: no memory, no initialisation cost.
"""

import pytest
import torch

import ganforge

OFFICIAL = {"generator_full": 276_474_560, "generator_light": 8_104_640, "discriminator": 46_874_433}
# the encoder E = the discriminator's first two convs and the CAM block
OFFICIAL_ENCODER = (3 * 64 * 16 + 64) + (64 * 128 * 16 + 128) + 256 + (256 * 128 + 128) + 1
PAPER = ganforge.DataInfo(fields=frozenset({"domain"}), num_domains=2, resolution=(256, 256))


def count(module) -> int:
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("light", [False, True])
def test_generator_counts(ganforge_registry, light):
    with torch.device("meta"):
        g = ganforge.build("generator", {"type": "nice_gan", "light": light}, PAPER, check=False)
    assert count(g) == OFFICIAL["generator_light" if light else "generator_full"]


def test_discriminator_and_encoder_counts(ganforge_registry):
    with torch.device("meta"):
        d = ganforge.build("discriminator", {"type": "nice_gan"}, PAPER)
    assert count(d) == OFFICIAL["discriminator"]
    assert count(d.encoder) == OFFICIAL_ENCODER == 167_489
