"""GroupDNet's decoder: class codes in, image out, through group-decreasing blocks."""

import pytest
import torch

import ganforge
from ganforge import DataInfo
from ganforge_smis import codes
from ganforge_smis.generator import deepfashion_schedule


def test_image_from_codes_and_codes_from_the_prior(registry, data, tiny, make_condition):
    g = ganforge.build("generator", tiny["generator"], data).eval()
    cond = make_condition(data)
    z = torch.randn(2, 4, g.code_dim)
    with torch.no_grad():
        image = g(cond.replace(region_style=z))
        again = g(cond.replace(region_style=z))
        other = g(cond.replace(region_style=torch.randn(2, 4, g.code_dim)))
        drawn = g(cond)
    assert image.shape == (2, 3, 32, 32) and image.abs().max() <= 1
    assert torch.equal(image, again) and not torch.allclose(image, other)
    assert drawn.shape == image.shape and not torch.allclose(drawn, image)
    assert g.code_dim == 8 * 1 * 1  # 'normal' at 32 px: 1x1 code maps of 8 channels


def test_the_start_features_of_a_class_come_from_its_own_code(registry, data, tiny):
    """fc is a K-group conv: changing class 1's code changes only class 1's channels."""
    g = ganforge.build("generator", tiny["generator"], data)
    z = torch.randn(1, 4, g.code_dim)
    z2 = z.clone()
    z2[:, 1] += 1
    start = lambda c: g.fc(codes.to_maps(c, 8, g.start_size)).view(1, 4, -1)
    a, b = start(z), start(z2)
    changed = (a - b).abs().amax(-1)[0] > 0
    assert changed.tolist() == [False, True, False, False]


def test_default_group_schedule_is_deepfashions(registry):
    assert deepfashion_schedule(8) == (8, 8, 4, 4, 2, 2, 1)
    data = DataInfo(fields=frozenset({"label"}), resolution=(64, 64), label_nc=8)
    g = ganforge.build("generator", {"type": "groupdnet", "ngf": 8, "num_upsampling_layers": "normal"}, data)
    assert [b.conv_0.groups for b in g.blocks] == [8, 8, 4, 4, 2, 2, 1]
    assert [b.norm_0.groups for b in g.blocks] == [8, 8, 4, 4, 2, 2, 1]
    assert (g.fc.in_channels, g.fc.out_channels, g.fc.groups) == (64, 128, 8)


def test_ade20k_layout_starts_at_16_channels_per_class(registry, data):
    g = ganforge.build("generator", {"type": "groupdnet", "ngf": 2, "layout": "ade20k", "num_upsampling_layers": "normal",
                                     "groups": [4, 2, 2, 2, 1, 1, 1]}, data)
    widths = [(b.conv_0.in_channels, b.conv_1.out_channels) for b in g.blocks]
    assert widths == [(64, 64), (64, 64), (64, 32), (32, 32), (32, 16), (16, 8), (8, 4)]
    assert g.conv_img.in_channels == 4


def test_foreign_normalizers_are_built_without_groups(registry, data, tiny, make_condition):
    spec = {**tiny["generator"], "norm": {"type": "spade", "nhidden": 8}}
    g = ganforge.build("generator", spec, data)
    assert type(g.blocks[0].norm_0).__name__ == "SPADE"
    assert g(make_condition(data)).shape == (2, 3, 32, 32)


def test_bad_codes_groups_and_resolutions_are_clear_errors(registry, data, tiny, make_condition):
    g = ganforge.build("generator", tiny["generator"], data)
    with pytest.raises(ganforge.ConditionMismatch, match=r"'region_style' has shape \(2, 4, 5\).*\(2, 4, 8\)"):
        g(make_condition(data).replace(region_style=torch.zeros(2, 4, 5)))
    with pytest.raises(ganforge.ConfigError, match=r"block 0 \(groups\[0\] = 3\)"):
        ganforge.build("generator", {**tiny["generator"], "groups": [3, 4, 2, 2, 1, 1, 1]}, data)
    with pytest.raises(ganforge.ConfigError, match="7 positive group counts"):
        ganforge.build("generator", {**tiny["generator"], "groups": [4, 4]}, data)
    with pytest.raises(ganforge.ConfigError, match="divisible by 2\\^6"):
        ganforge.build("generator", {**tiny["generator"], "num_upsampling_layers": "more"}, data)
