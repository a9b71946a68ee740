"""The discriminator (encoder with CAM attention, local and global heads) and the decoder."""

import pytest
import torch
import torch.nn.functional as F

import ganforge
from ganforge.testing import check_component
from ganforge_nice_gan.discriminator import head_sizes

from .helpers import TINY_D, TINY_G, data_info


def test_discriminator_conformance(ganforge_registry):
    checked = check_component("discriminator", "nice_gan", {"ch": 4, "n_dis": 6}, data_info())
    out = checked.output
    assert [tuple(s.shape) for s in out.scores] == [(2, 1, 14, 14), (2, 1, 2, 2)]  # local, global at 64 px
    assert out.extra["embedding"].shape == (2, 8, 16, 16)  # 2 ch channels at 1/4 size
    assert out.extra["cam_logit"].shape == (2, 1) and out.extra["heatmap"].shape == (2, 1, 16, 16)


@pytest.mark.parametrize("light", [True, False])
def test_generator_conformance(ganforge_registry, light):
    data = data_info(32)
    embedding = torch.randn(2, 8, 8, 8)
    checked = check_component("generator", "nice_gan", {"ch": 4, "n_res": 2, "light": light}, data,
                              call=lambda g, _: g(ganforge.Condition(embedding=embedding)))
    assert checked.output.shape == (2, 3, 32, 32)
    assert checked.output.abs().max() <= 1


def test_generator_names_a_wrong_embedding(ganforge_registry):
    g = ganforge.build("generator", TINY_G, data_info(), check=False)
    with pytest.raises(ValueError, match=r"decodes \(B, 8, H/4, W/4\) embeddings .* got \(1, 6, 16, 16\)"):
        g(ganforge.Condition(embedding=torch.randn(1, 6, 16, 16)))
    full = ganforge.build("generator", {**TINY_G, "light": False}, data_info(), check=False)
    with pytest.raises(ValueError, match=r"decodes \(B, 8, 16, 16\) embeddings .* got \(1, 8, 8, 8\)"):
        full(ganforge.Condition(embedding=torch.randn(1, 8, 8, 8)))


def test_generator_declares_the_embedding(ganforge_registry):
    with pytest.raises(ganforge.ConditionMismatch, match="needs condition field 'embedding'"):
        ganforge.build("generator", TINY_G, data_info())


def test_full_generator_reads_the_whole_feature_map(ganforge_registry):
    """Full: the MLP's first layer sees every position of the 4 ch feature map; light: its mean."""
    full = ganforge.build("generator", {**TINY_G, "light": False}, data_info(), check=False)
    light = ganforge.build("generator", TINY_G, data_info(), check=False)
    assert full.mlp[0].in_features == 16 * 16 * 16 and light.mlp[0].in_features == 16


def test_cam_logit_and_attention_come_from_the_gap_gmp_classifier(ganforge_registry):
    d = ganforge.build("discriminator", TINY_D, data_info())
    cam = d.encoder.cam
    c = 8
    w = torch.linspace(-1.0, 2.0, 2 * c)
    with torch.no_grad():
        cam.attention_weight.copy_(w[None])
        cam.fuse.weight.copy_(torch.cat([torch.eye(c), torch.eye(c)], 1)[:, :, None, None])  # sums the halves
        cam.fuse.bias.zero_()
        cam.lamda.fill_(0.5)
    x = torch.randn(3, c, 5, 5)
    enc = cam(x)  # training mode: the power iteration is exact for eta's single row
    pooled = torch.cat([x.mean((2, 3)), x.amax((2, 3))], 1)
    assert enc.cam_logit.shape == (3, 1)
    torch.testing.assert_close(enc.cam_logit, pooled @ (w / w.norm())[:, None])
    # channel k is weighted by its GAP weight plus its GMP weight (raw, not normalised)
    expected = F.leaky_relu(0.5 * x * (w[:c] + w[c:])[None, :, None, None] + x, 0.2)
    torch.testing.assert_close(enc.embedding, expected)
    torch.testing.assert_close(enc.heatmap, expected.sum(1, keepdim=True))


def test_attention_starts_as_identity(ganforge_registry):
    """lambda starts at 0: the embedding is LeakyReLU of the conv features."""
    d = ganforge.build("discriminator", TINY_D, data_info()).eval()  # no power iteration between the calls
    x = torch.randn(2, 3, 64, 64)
    torch.testing.assert_close(d.encode(x).embedding, F.leaky_relu(d.encoder.layers(x), 0.2))


def test_head_sizes_at_the_paper_resolution():
    assert head_sizes(256, 7) == (30, 6)  # the official 30x30 local and 6x6 global maps


def test_too_small_images_are_a_config_error(ganforge_registry):
    with pytest.raises(ganforge.ConfigError, match=r"resolution \(64, 64\) with n_dis 7 .* at least 96 px"):
        ganforge.build("discriminator", {"type": "nice_gan", "ch": 4}, data_info(64))
    out = ganforge.build("discriminator", {"type": "nice_gan", "ch": 2}, data_info(96))(torch.zeros(1, 3, 96, 96))
    assert [s.shape[-1] for s in out.scores] == [10, 1]


def test_iln_mix_as_one_affine_map_equals_the_official_form():
    """ILN / AdaILN's mix of IN and LN, computed as one per-channel affine map of x, is as
    close to a float64 evaluation of the official form (NICE-GAN networks.py) as the
    official form in fp32 is, output and every gradient."""
    from ganforge_nice_gan.layers import mix_instance_layer

    def official(x, rho, eps, gamma, beta):
        in_mean, in_var = torch.mean(x, dim=[2, 3], keepdim=True), torch.var(x, dim=[2, 3], keepdim=True)
        out_in = (x - in_mean) / torch.sqrt(in_var + eps)
        ln_mean, ln_var = torch.mean(x, dim=[1, 2, 3], keepdim=True), torch.var(x, dim=[1, 2, 3], keepdim=True)
        out_ln = (x - ln_mean) / torch.sqrt(ln_var + eps)
        r = torch.softmax(rho, 2)
        return (r[:, :, 0, None, None] * out_in + r[:, :, 1, None, None] * out_ln) * gamma + beta

    torch.manual_seed(0)
    x = torch.randn(2, 6, 9, 7) * 3 + 1.5  # off-centre channels: the layer mean differs from each channel's
    inputs = [x, torch.randn(1, 6, 2), torch.randn(2, 6, 1, 1), torch.randn(2, 6, 1, 1)]
    g = torch.randn(2, 6, 9, 7)

    def values(fn, tensors):
        tensors = [t.clone().requires_grad_() for t in tensors]
        out = fn(tensors[0], tensors[1], 1e-5, tensors[2], tensors[3])
        return [out, *torch.autograd.grad(out, tensors, g.to(out.dtype))]

    ref = values(official, [t.double() for t in inputs])
    for ours, theirs, r in zip(values(mix_instance_layer, inputs), values(official, inputs), ref):
        err_ours, err_theirs = float((ours.detach() - r).abs().max()), float((theirs.detach() - r).abs().max())
        assert err_ours <= 10 * err_theirs + 1e-6 * float(r.detach().abs().max()), (err_ours, err_theirs)
