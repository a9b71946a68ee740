"""Parameter counts equal the official implementation's (facts counted by instantiating
rosinality/stylegan2-pytorch's Generator(size, 512, 8, channel_multiplier=2) and
Discriminator(size, 2); its mapping network is ``style``)."""

import pytest

from .helpers import full_size

OFFICIAL = {
    256: {"generator": 30_034_338, "mapping": 2_101_248, "discriminator": 28_864_129},
    1024: {"generator": 30_370_060, "mapping": 2_101_248, "discriminator": 29_012_513},
}


def count(module) -> int:
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("resolution", sorted(OFFICIAL))
def test_config_f_parameter_counts_equal_rosinality(resolution):
    G, D = full_size("generator", resolution), full_size("discriminator", resolution)
    assert count(G) == OFFICIAL[resolution]["generator"]
    assert count(G.mapping_network) == OFFICIAL[resolution]["mapping"]
    assert count(D) == OFFICIAL[resolution]["discriminator"]


def test_channel_schedule_of_config_f():
    G = full_size("generator", 1024)
    channels = {b.resolution: b.torgb.conv.weight.shape[1] for b in G.synthesis_network.blocks}
    assert channels == {4: 512, 8: 512, 16: 512, 32: 512, 64: 512, 128: 256, 256: 128, 512: 64, 1024: 32}
