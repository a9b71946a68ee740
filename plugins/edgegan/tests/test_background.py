"""Stage 2: the scene sketch composite and pix2pix's U-Net and PatchGAN."""

import pytest
import torch

import ganforge
from ganforge import Condition, DataInfo
from ganforge_edgegan.background import scene_sketch

DATA = DataInfo(fields=frozenset({"scene_sketch"}), resolution=(32, 32))


def test_composite_keeps_objects_and_draws_background_edges_black_on_white():
    image = torch.rand(1, 3, 8, 8) * 2 - 1
    instance = torch.zeros(1, 8, 8, dtype=torch.long)
    instance[0, 2:5, 2:5] = 1
    edge = torch.zeros(1, 1, 8, 8)
    edge[0, 0, 6, :] = 1  # a horizon line
    edge[0, 0, 2, 2:5] = 1  # an object boundary: hidden under the object
    out = scene_sketch(image, instance, edge)
    assert torch.equal(out[:, :, 2:5, 2:5], image[:, :, 2:5, 2:5])
    assert torch.all(out[0, :, 6] == -1)
    assert torch.all(out[0, :, 7] == 1) and torch.all(out[0, :, 0] == 1)


def test_unet_translates_the_composite(edgegan):
    torch.manual_seed(0)
    g = ganforge.build("generator", {"type": "edgegan_background", "ngf": 4, "num_downs": 5}, DATA).eval()
    x = torch.rand(2, 3, 32, 32) * 2 - 1
    y = g(Condition(scene_sketch=x))
    assert y.shape == (2, 3, 32, 32) and y.abs().max() <= 1
    assert not torch.allclose(y[0], y[1])
    assert torch.equal(y, g(Condition(scene_sketch=x)))  # no dropout in eval mode
    d = ganforge.build("discriminator", {"type": "edgegan_patch", "ndf": 4}, DATA)
    assert d(y, Condition(scene_sketch=x)).scores[0].shape == (2, 1, 2, 2)  # 70x70 patches on 32 px


def test_unet_needs_a_resolution_its_levels_divide(edgegan):
    with pytest.raises(ganforge.ConfigError, match=r"not divisible by 2\^num_downs = 64"):
        ganforge.build("generator", {"type": "edgegan_background", "ngf": 4, "num_downs": 6}, DATA)
