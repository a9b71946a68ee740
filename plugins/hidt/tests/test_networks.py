"""The translation network, its normalizer, the style encoder and the discriminators."""

from __future__ import annotations

import pytest
import torch

import ganforge
from ganforge import Condition

from .helpers import TINY_D, TINY_E, TINY_G, data_info

DATA = data_info(32, fields=("label", "source", "style"))


def build(kind, spec, data=DATA):
    torch.manual_seed(0)
    return ganforge.build(kind, spec, data, check=False)


def test_generator_predicts_image_and_segmentation():
    g = build("generator", {**TINY_G, "seg_channels": 5})
    x = torch.rand(2, 3, 32, 32) * 2 - 1
    content = g.encode_content(x)
    assert content.content.shape == (2, 32, 8, 8)  # dim 8 doubled twice at 1/4 resolution
    assert [s.shape for s in content.skips] == [(2, 2, 16, 16), (2, 2, 32, 32)]  # deepest first
    image, seg = g.decode(content, Condition(style=torch.randn(2, 3)))
    assert image.shape == (2, 3, 32, 32) and seg.shape == (2, 5, 32, 32)
    assert image.abs().max() <= 1
    logits = g.decode(content, Condition(style=torch.randn(2, 3, generator=torch.Generator().manual_seed(0))),
                      seg_logits=True)[1]
    again = g.decode(content, Condition(style=torch.randn(2, 3, generator=torch.Generator().manual_seed(0))))[1]
    torch.testing.assert_close(torch.tanh(logits), again)  # the official output is tanh of the logits
    torch.testing.assert_close(g(Condition(source=x, style=torch.zeros(2, 3))),
                               g.decode(content, Condition(style=torch.zeros(2, 3)))[0])


def test_style_changes_the_look_and_skips_carry_the_layout():
    g = build("generator", TINY_G)
    x = torch.rand(1, 3, 32, 32) * 2 - 1
    content = g.encode_content(x)
    s = torch.randn(1, 3, generator=torch.Generator().manual_seed(0))
    a = g.decode(content, Condition(style=s))[0]
    b = g.decode(content, Condition(style=-s))[0]
    assert (a - b).abs().mean() > 1e-3
    # the full-resolution skip reaches the output: mirroring it alone changes the image
    skips = (content.skips[0], content.skips[1].flip(-1))
    c = g.decode(content._replace(skips=skips), Condition(style=s))[0]
    assert (a - c).abs().mean() > 1e-3


def test_wrong_style_width_is_named():
    g = build("generator", TINY_G)
    with pytest.raises(ValueError, match=r"generator 'hidt' was built for style codes \(B, 3\).*\(2, 8\)"):
        g(Condition(source=torch.zeros(2, 3, 32, 32), style=torch.zeros(2, 8)))


def test_hidt_adain_is_gamma_times_instance_norm_plus_beta():
    norm = ganforge.build("normalizer", {"type": "hidt_adain", "style_dim": 4}, DATA, num_features=3)
    x, s = torch.randn(2, 3, 5, 5), torch.randn(2, 4)
    beta, gamma = norm.fc(s).split(3, dim=1)
    mean, var = x.mean((2, 3), keepdim=True), x.var((2, 3), unbiased=False, keepdim=True)
    expected = gamma[:, :, None, None] * (x - mean) / (var + 1e-5).sqrt() + beta[:, :, None, None]
    torch.testing.assert_close(norm(x, Condition(style=s)), expected, atol=1e-5, rtol=1e-4)
    with pytest.raises(ValueError, match=r"'hidt_adain' was built for cond\['style'\] of shape \(B, 4\)"):
        norm(x, Condition(style=torch.randn(2, 3)))


def test_other_normalizers_fill_the_slot():
    """A style-driven normalizer of another paper reads the MLP feature (mlp_dim wide)."""
    g = build("generator", {**TINY_G, "norm": {"type": "adain", "style_dim": 8}})
    assert type(g.blocks[0].conv1.norm).__name__ == "AdaIN"
    out = g(Condition(source=torch.zeros(1, 3, 32, 32), style=torch.randn(1, 3)))
    assert out.shape == (1, 3, 32, 32) and torch.isfinite(out).all()


def test_style_encoder_shapes_and_width():
    e = build("encoder", {**TINY_E, "style_dim": 12})
    out = e(torch.rand(3, 3, 32, 32), Condition())
    assert out["style"].shape == (3, 12)
    # global pooling: the code does not depend on where things are
    x = torch.rand(1, 3, 32, 32)
    torch.testing.assert_close(e(x, Condition())["style"], e(x.flip(-1).flip(-1), Condition())["style"])


def test_discriminator_projection_reads_the_style():
    d = build("discriminator", TINY_D)
    x = torch.rand(2, 3, 32, 32)
    out0 = d(x, Condition(style=torch.zeros(2, 3)))
    out1 = d(x, Condition(style=torch.ones(2, 3)))
    assert len(out0.scores) == 4  # 2 scales, unconditional then conditional
    assert [s.shape for s in out0.scores] == [(2, 1, 8, 8), (2, 1, 4, 4)] * 2
    for a, b in zip(out0.scores[:2], out1.scores[:2]):
        torch.testing.assert_close(a, b)  # the unconditional D ignores the style
    assert any((a - b).abs().max() > 0 for a, b in zip(out0.scores[2:], out1.scores[2:]))
    uncond = build("discriminator", {**TINY_D, "conditional": False})
    assert len(uncond(x, Condition()).scores) == 2
    assert ganforge.registry.get_registry().get("discriminator", "hidt").cls.requirements(
        uncond.params, DATA) == frozenset()


def test_discriminator_too_deep_for_the_resolution():
    with pytest.raises(ganforge.ConfigError, match="need images of at least 64 px, the data has 32x32"):
        build("discriminator", {**TINY_D, "n_layers": 4, "num_scales": 3})
