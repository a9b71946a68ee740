"""The SPADE generator: layout of the paper's variants, the VAE start, spectral norm, and
a normalizer from another plugin in its blocks."""

import pytest
import torch
from torch import nn

import ganforge
import ganforge_spade.plugin
from ganforge import DataInfo

@pytest.fixture
def build(spade, tiny):
    """``build(data, **params)``: the tiny generator with ``params`` overridden."""
    return lambda data, **params: ganforge.build("generator", {**tiny["generator"], **params}, data)


@pytest.mark.parametrize("mode, size, start, blocks", [
    ("normal", (32, 64), (1, 2), 7), ("more", (64, 128), (1, 2), 7), ("most", (128, 128), (1, 1), 8)])
def test_variants_keep_the_aspect_ratio(spade, mode, size, start, blocks, build, make_condition):
    data = DataInfo(fields=frozenset({"label", "instance"}), resolution=size, label_nc=5)
    g = build(data, num_upsampling_layers=mode)
    assert g.start_size == start and len(g.blocks) == blocks
    assert len(g.upsamplers) == {"normal": 5, "more": 6, "most": 7}[mode]
    out = g(make_condition(data))
    assert out.shape == (2, 3, *size)
    assert out.abs().max() <= 1  # tanh image


def test_block_widths_follow_the_paper(spade, data, build):
    g = build(data, ngf=4)
    widths = [(b.conv_0.in_channels, b.conv_1.out_channels) for b in g.blocks]
    assert widths == [(64, 64)] * 3 + [(64, 32), (32, 16), (16, 8), (8, 4)]
    assert [b.learned_shortcut for b in g.blocks] == [False] * 3 + [True] * 4


def test_deterministic_start_reads_the_label_map(spade, data, build, make_condition):
    g = build(data).eval()
    a, b = make_condition(data, seed=0), make_condition(data, seed=1)
    assert isinstance(g.fc, nn.Conv2d) and g.fc.in_channels == 5 + 1
    assert torch.equal(g(a), g(a)) and not torch.allclose(g(a), g(b))


def test_vae_start_uses_z_from_the_condition(spade, data, build, make_condition):
    g = build(data, use_vae=True, z_dim=8).eval()
    assert g.fc.in_features == 8 and g.fc.out_features == 16 * 2 * 1 * 2
    cond = make_condition(data)
    z1, z2 = torch.randn(2, 8), torch.randn(2, 8)
    assert torch.equal(g(cond.replace(z=z1)), g(cond.replace(z=z1)))
    assert not torch.allclose(g(cond.replace(z=z1)), g(cond.replace(z=z2)))
    torch.manual_seed(0)
    drawn = g(cond)
    torch.manual_seed(0)
    assert torch.equal(drawn, g(cond.replace(z=torch.randn(2, 8))))  # without z: z ~ N(0, I)


def test_spectral_norm_on_block_convs_only(spade, data, build):
    g = build(data)
    conv = g.blocks[3].conv_s
    assert hasattr(conv, "parametrizations") and conv.bias is None
    assert not hasattr(g.fc, "parametrizations") and not hasattr(g.conv_img, "parametrizations")
    w = conv.weight.flatten(1)
    assert torch.linalg.matrix_norm(w, ord=2).item() == pytest.approx(1.0, rel=0.05)
    plain = build(data, spectral_norm=False)
    assert sum(p.numel() for p in plain.parameters()) == sum(p.numel() for p in g.parameters())


def test_resolution_must_fit_the_upsamplings(spade, build):
    data = DataInfo(fields=frozenset({"label"}), resolution=(48, 64), label_nc=3)
    with pytest.raises(ganforge.ConfigError, match=r"48x64 must be divisible by 2\^5 = 32"):
        build(data)


class ScaleByLabel(ganforge.Normalizer):
    """Test-local conditional norm: instance norm scaled by (1 + learned per-class weight)."""

    requires = frozenset({"label"})

    def __init__(self, params, data, num_features):
        super().__init__(params, data, num_features)
        self.norm = nn.InstanceNorm2d(num_features)
        self.scale = nn.Embedding(data.label_nc, num_features)

    def forward(self, x, cond):
        label = cond.resized(tuple(x.shape[-2:]))["label"]
        return self.norm(x) * (1 + self.scale(label).permute(0, 3, 1, 2))


class LabelGatedUpsampler(ganforge.Upsampler):
    """Test-local upsampler: nearest 2x, then features zeroed where the label is 0."""

    requires = frozenset({"label"})

    def forward(self, x, cond):
        up = nn.functional.interpolate(x, scale_factor=2, mode="nearest")
        label = cond.resized(tuple(up.shape[-2:]))["label"]
        return up * (label != 0).unsqueeze(1)


class ThrowawayPlugin:
    @ganforge.hookimpl
    def ganforge_register(self, register):
        register("normalizer", "scale_by_label", ScaleByLabel)
        register("upsampler", "label_gated", LabelGatedUpsampler)


def test_generator_takes_another_papers_normalizer(isolated_registry, data, make_condition, tiny):
    isolated_registry(("spade", ganforge_spade.plugin), ("throwaway", ThrowawayPlugin()))
    g = ganforge.build("generator", {**tiny["generator"], "norm": "scale_by_label"}, data)
    norms = [m for m in g.modules() if isinstance(m, ganforge.Normalizer)]
    assert len(norms) == 18 and all(isinstance(n, ScaleByLabel) for n in norms)
    out = g(make_condition(data))
    assert out.shape == (2, 3, 32, 64)
    out.mean().backward()
    assert all(n.scale.weight.grad is not None for n in norms)


def test_generator_takes_another_upsampler(isolated_registry, data, make_condition, tiny):
    isolated_registry(("spade", ganforge_spade.plugin), ("throwaway", ThrowawayPlugin()))
    torch.manual_seed(0)
    nearest = ganforge.build("generator", tiny["generator"], data)
    torch.manual_seed(0)
    gated = ganforge.build("generator", {**tiny["generator"], "upsample": "label_gated"}, data)
    assert [type(u) for u in gated.upsamplers.values()] == [LabelGatedUpsampler] * 5
    assert [u.num_features for u in gated.upsamplers.values()] == [
        u.num_features for u in nearest.upsamplers.values()]
    cond = make_condition(data)
    assert not torch.allclose(gated(cond), nearest(cond))  # same weights, the upsampling differs


def test_norm_slot_errors_name_the_path(spade, data, build):
    with pytest.raises(ganforge.ComponentNotFound, match="no normalizer named 'spaed'.*Did you mean 'spade'"):
        build(data, norm="spaed")
    with pytest.raises(ganforge.ConfigError, match="generator.norm.nhidden"):
        build(data, norm={"type": "spade", "nhidden": 0})
    only_labels = DataInfo(fields=frozenset({"label"}), resolution=(32, 64), label_nc=5)
    with pytest.raises(ganforge.ConditionMismatch, match="generator.norm: normalizer 'spade' needs condition field"):
        build(only_labels, norm={"type": "spade", "use_instance": True})
