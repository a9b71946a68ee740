"""Conformance of every component, the StyleLatentGenerator capability, and the numerics
that define StyleGAN2's layers."""

import math

import pytest
import torch

import ganforge
from ganforge.capabilities import StyleLatentGenerator, require
from ganforge.testing import check_component, default_data
from ganforge_stylegan2.discriminator import minibatch_stddev
from ganforge_stylegan2.layers import EqualLinear
from ganforge_stylegan2.synthesis import ModulatedConv2d

from .helpers import TINY, tiny_discriminator, tiny_generator

SMALL_D = {"channel_base": TINY["channel_base"], "channel_max": TINY["channel_max"]}


@pytest.mark.parametrize("kind, params", [("generator", TINY), ("discriminator", SMALL_D), ("strategy", {})])
def test_conformance(kind, params):
    checked = check_component(kind, "stylegan2", params, data=default_data(resolution=(16, 16)), dims={"D": 16})
    assert "params documented" in checked.checks
    if kind != "strategy":
        assert "backward reaches every trainable parameter" in checked.checks


def test_the_generator_has_the_style_latent_capability_with_config_f_layout():
    G = tiny_generator(32)
    require(G, StyleLatentGenerator, "test")
    assert (G.w_dim, G.num_ws) == (16, 8)  # 2 log2(32) - 2
    assert G.noise_shapes() == [(1, 4, 4), (1, 8, 8), (1, 8, 8), (1, 16, 16), (1, 16, 16), (1, 32, 32), (1, 32, 32)]
    assert G.activation_names() == ["b4.conv", "b8.conv0", "b8.conv1", "b16.conv0", "b16.conv1", "b32.conv0",
                                    "b32.conv1"]


def test_edit_sees_every_named_activation_and_its_result_continues():
    G = tiny_generator(16).eval()
    ws = G.mapping(torch.randn(2, 16))[:, None].expand(-1, G.num_ws, -1)
    noise = [torch.randn(2, *s) for s in G.noise_shapes()]
    seen = []

    def record(name, x):
        seen.append((name, tuple(x.shape)))
        return x

    plain = G.synthesis(ws, noise)
    assert torch.equal(G.synthesis(ws, noise, edit=record), plain)  # identity edit: same image
    assert seen == [("b4.conv", (2, 32, 4, 4)), ("b8.conv0", (2, 16, 8, 8)), ("b8.conv1", (2, 16, 8, 8)),
                    ("b16.conv0", (2, 8, 16, 16)), ("b16.conv1", (2, 8, 16, 16))]
    # replacing the last activation by zeros leaves only the coarser tRGB outputs + the last tRGB's bias
    zero_last = G.synthesis(ws, noise, edit=lambda n, x: x * 0 if n == "b16.conv1" else x)
    last = G.synthesis_network.blocks[-1]
    with torch.no_grad():
        last.torgb.bias.add_(1.0)
    shifted = G.synthesis(ws, noise, edit=lambda n, x: x * 0 if n == "b16.conv1" else x)
    torch.testing.assert_close(shifted - zero_last, torch.ones_like(plain))
    assert not torch.allclose(zero_last, plain)


def test_noise_inputs_change_the_image_only_through_nonzero_strengths():
    G = tiny_generator(16).eval()
    ws = G.mapping(torch.randn(1, 16))[:, None].expand(-1, G.num_ws, -1)
    zeros = [torch.zeros(1, *s) for s in G.noise_shapes()]
    other = [torch.randn(1, *s) for s in G.noise_shapes()]
    assert torch.equal(G.synthesis(ws, zeros), G.synthesis(ws, other))  # strengths start at 0 (official init)
    with torch.no_grad():
        G.synthesis_network.blocks[1].convs[0].noise_strength.fill_(0.5)
    assert not torch.allclose(G.synthesis(ws, zeros), G.synthesis(ws, other))
    assert torch.equal(G.synthesis(ws, other), G.synthesis(ws, other))  # given noise: deterministic
    with pytest.raises(ValueError, match=r"expected 5 noise tensors"):
        G.synthesis(ws, zeros[:2])


def test_mapping_truncation_and_mean_w():
    G = tiny_generator(16)
    z = torch.randn(64, 16)
    G.train()
    for _ in range(3):
        G.mapping(z)  # tracks w_avg while training
    G.eval()
    w_avg = G.mean_w()
    assert w_avg.shape == (16,) and w_avg.abs().sum() > 0
    torch.testing.assert_close(G.mapping(z, truncation_psi=0.0), w_avg.expand(64, -1))
    w, w_half = G.mapping(z), G.mapping(z, truncation_psi=0.5)
    torch.testing.assert_close(w_half, w_avg + 0.5 * (w - w_avg))
    assert torch.equal(G.mean_w(), w_avg)  # eval mode does not move it


def test_forward_reads_z_from_the_condition_and_stays_in_range_in_eval():
    G = tiny_generator(16).eval()
    z = torch.randn(3, 16)
    torch.manual_seed(0)
    a = G(ganforge.Condition(z=z))
    torch.manual_seed(0)
    ws = G.mapping(z)[:, None].expand(-1, G.num_ws, -1)
    assert torch.equal(a, G.synthesis(ws).clamp(-1, 1))
    assert a.shape == (3, 3, 16, 16) and a.abs().max() <= 1
    drawn = G(ganforge.Condition(domain=torch.zeros(5, dtype=torch.long)))  # no z: one per sample
    assert drawn.shape == (5, 3, 16, 16)
    with pytest.raises(ValueError, match=r"ws must be \(B, 6, 16\)"):
        G.synthesis(torch.zeros(1, 5, 16))


def test_non_square_or_non_power_of_two_resolution_is_a_config_error():
    with pytest.raises(ganforge.ConfigError, match=r"generator stylegan2: StyleGAN2 needs a square power-of-two"):
        tiny_generator(24)
    with pytest.raises(ganforge.ConfigError, match=r"discriminator stylegan2: .* got \(32, 16\)"):
        ganforge.build("discriminator", {"type": "stylegan2", **SMALL_D},
                       ganforge.DataInfo(fields=frozenset(), resolution=(32, 16)), check=False)


def test_demodulation_gives_unit_output_variance_and_styles_scale_inputs():
    torch.manual_seed(0)
    conv = ModulatedConv2d(64, 64, 3, w_dim=8)
    x = torch.randn(4, 64, 16, 16)
    y = conv(x, torch.randn(4, 8) * 3)
    inner = y[:, :, 1:-1, 1:-1]  # Eq. 3 assumes unit-variance i.i.d. inputs; borders see zero padding
    assert abs(inner.std().item() - 1.0) < 0.05
    plain = ModulatedConv2d(4, 2, 1, w_dim=3, demodulate=False)
    with torch.no_grad():
        plain.affine.weight.zero_()  # s = bias = 1 (bias_init 1): the plain 1x1 conv with weight / sqrt(fan_in)
    x = torch.randn(1, 4, 2, 2)
    expected = torch.nn.functional.conv2d(x, plain.weight / math.sqrt(4))
    torch.testing.assert_close(plain(x, torch.randn(1, 3)), expected)


def test_equalized_learning_rate_and_mapping_lr_multiplier():
    layer = EqualLinear(100, 10, lr_mul=0.01)
    assert abs(layer.weight.std().item() - 100.0) < 10  # stored as N(0, 1) / lr_mul
    effective = layer.weight * layer.scale
    assert abs(effective.std().item() - 1 / math.sqrt(100)) < 0.01  # He init at run time


def test_minibatch_stddev_appends_the_group_std():
    x = torch.stack([torch.full((2, 1, 1), v) for v in (0.0, 2.0, 0.0, 2.0)])  # (4, 2, 1, 1)
    out = minibatch_stddev(x, group_size=4, num_channels=1)
    assert out.shape == (4, 3, 1, 1)
    torch.testing.assert_close(out[:, 2], torch.full((4, 1, 1), 1.0), atol=1e-4, rtol=0)  # std of {0,2,0,2}
    with pytest.raises(ValueError, match=r"batch 6 is not divisible by the stddev group 4"):
        minibatch_stddev(torch.zeros(6, 2, 1, 1), 4, 1)


def test_discriminator_scores_one_logit_per_image():
    D = tiny_discriminator(16)
    out = D(torch.randn(4, 3, 16, 16), ganforge.Condition())
    assert len(out.scores) == 1 and out.scores[0].shape == (4, 1)


def test_w_plus_and_noise_can_be_optimised_to_embed_an_image():
    """What Image2StyleGAN++ does through the capability: gradient descent on W+ and the
    noise inputs (generator frozen) moves the synthesis towards a target image."""
    G = tiny_generator(16).eval().requires_grad_(False)
    for block in G.synthesis_network.blocks:
        for conv in block.convs:
            conv.noise_strength.fill_(0.3)
    torch.manual_seed(1)
    target = G.synthesis(G.mapping(torch.randn(1, 16))[:, None].expand(-1, G.num_ws, -1).contiguous())
    ws = G.mean_w().expand(1, G.num_ws, -1).clone().requires_grad_(True)
    noise = [torch.randn(1, *s, requires_grad=True) for s in G.noise_shapes()]
    opt = torch.optim.Adam([ws, *noise], lr=0.05)
    losses = []
    for _ in range(40):
        loss = (G.synthesis(ws, noise) - target).square().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.2 * losses[0]
    assert all(n.grad is not None and n.grad.abs().sum() > 0 for n in noise)
