"""The multi-scale patch discriminator and the VAE encoder: the layouts SPADE uses."""

import pytest
import torch
import torch.nn.functional as F

import ganforge
from ganforge import DataInfo


def test_patch_discriminator_layout(spade, data):
    d = ganforge.build("discriminator", {"type": "multiscale_patch", "ndf": 4, "n_layers": 4, "max_channels": 16},
                       data)
    assert len(d.scales) == 2
    layers = d.scales[0].layers
    convs = [unit.conv for unit in layers]
    assert [(c.in_channels, c.out_channels, c.stride[0]) for c in convs] == [
        (5 + 1 + 3, 4, 2), (4, 8, 2), (8, 16, 2), (16, 16, 1), (16, 1, 1)]
    assert all(c.kernel_size == (4, 4) and c.padding == (2, 2) for c in convs)
    assert [u.has_norm for u in layers] == [False, True, True, True, False]
    assert [hasattr(c, "parametrizations") for c in convs] == [False, True, True, True, False]
    assert [c.bias is None for c in convs] == [False, True, True, True, False]  # normalised convs lose the bias


def test_scales_see_the_average_pooled_input(spade, data, tiny, make_condition):
    d = ganforge.build("discriminator", tiny["discriminator"], data).eval()
    cond = make_condition(data)
    image = torch.rand(2, 3, 32, 64) * 2 - 1
    out = d(image, cond)
    assert len(out.scores) == 2 and [len(f) for f in out.features] == [2, 2]
    assert out.scores[0].shape == (2, 1, 19, 35) and out.scores[1].shape == (2, 1, 11, 19)
    seg = torch.cat([F.one_hot(cond["label"], 5).permute(0, 3, 1, 2).float(),
                     ganforge.instance_edges(cond["instance"]), image], 1)
    half = F.avg_pool2d(seg, 3, 2, 1, count_include_pad=False)
    torch.testing.assert_close(out.scores[1], d.scales[1](half)[-1])
    torch.testing.assert_close(out.features[0][1], d.scales[0](seg)[1])


def test_discriminator_input_channels_follow_the_data(spade, tiny):
    ade = DataInfo(fields=frozenset({"label"}), resolution=(32, 32), label_nc=150, contain_dontcare_label=True)
    d = ganforge.build("discriminator", tiny["discriminator"], ade)
    assert d.scales[0].layers[0].conv.in_channels == 150 + 1 + 3


def test_encoder_layout_at_256_is_spades(spade, data):
    e = ganforge.build("encoder", {"type": "spade_vae", "ndf": 2}, data)
    widths = [(u.conv.in_channels, u.conv.out_channels) for u in e.layers]
    assert widths == [(3, 2), (2, 4), (4, 8), (8, 16), (16, 16), (16, 16)]
    assert all(u.conv.kernel_size == (3, 3) and u.conv.stride == (2, 2) and u.has_norm for u in e.layers)
    assert e.fc_mu.in_features == 16 * 4 * 4 and e.fc_mu.out_features == 256


def test_encoder_reparameterises(spade, data, tiny):
    e = ganforge.build("encoder", tiny["encoder"], data).eval()
    image = torch.rand(3, 3, 32, 64) * 2 - 1  # resized to 32x32 first
    torch.manual_seed(5)
    out = e(image)
    torch.manual_seed(5)
    eps = torch.randn(3, 8)
    torch.testing.assert_close(out["z"], out["mu"] + eps * torch.exp(0.5 * out["logvar"]))
    assert out["mu"].shape == out["logvar"].shape == (3, 8)


def test_encoder_input_size_must_be_a_power_of_two(spade, data):
    with pytest.raises(ganforge.ConfigError, match="models.encoder.input_size"):
        ganforge.build("encoder", {"type": "spade_vae", "input_size": 100}, data, path="models.encoder")
