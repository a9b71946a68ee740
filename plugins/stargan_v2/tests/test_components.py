"""Conformance of every component, and the numerics that define each network."""

from __future__ import annotations

import pytest
import torch

import ganforge
from ganforge.testing import check_component, default_data

from .helpers import TINY, data_info


def spec(role: str) -> dict:
    return {k: v for k, v in TINY[role].items() if k != "type"}


@pytest.mark.parametrize("kind, name, params, dims", [
    ("normalizer", "adain", {"style_dim": 8}, None),
    ("generator", "stargan_v2", spec("generator"), None),
    ("generator", "stargan_v2", {**spec("generator"), "w_hpf": 1.0, "mask_field": "mask"}, None),
    ("encoder", "stargan_v2_mapping", spec("mapping"), {"D": 4}),
    ("encoder", "stargan_v2_style", spec("style_encoder"), None),
    ("discriminator", "stargan_v2", spec("discriminator"), None),
    ("strategy", "stargan_v2", {}, None),
])
def test_conformance(kind, name, params, dims):
    checked = check_component(kind, name, params, dims=dims)
    assert "params documented" in checked.checks
    if kind != "strategy":
        assert "backward reaches every trainable parameter" in checked.checks


def test_adain_matches_the_formula():
    data = default_data()
    norm = ganforge.build("normalizer", {"type": "adain", "style_dim": 5}, data, num_features=6)
    x, s = torch.randn(3, 6, 8, 8) * 3 + 1, torch.randn(3, 5)
    with torch.no_grad():
        norm.fc.bias.normal_()
        h = s @ norm.fc.weight.T + norm.fc.bias
        gamma, beta = h[:, :6, None, None], h[:, 6:, None, None]
        mean = x.mean(dim=(2, 3), keepdim=True)
        var = x.var(dim=(2, 3), unbiased=False, keepdim=True)
        expected = (1 + gamma) * (x - mean) / torch.sqrt(var + 1e-5) + beta
        out = norm(x, ganforge.Condition(style=s))
    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-5)


def test_adain_names_a_style_width_mismatch():
    norm = ganforge.build("normalizer", {"type": "adain", "style_dim": 5}, default_data(), num_features=6)
    with pytest.raises(ValueError, match=r"built for style codes \(B, 5\).*shape \(3, 7\)"):
        norm(torch.randn(3, 6, 4, 4), ganforge.Condition(style=torch.randn(3, 7)))


def test_mapping_network_selects_each_samples_head():
    data = data_info(num_domains=3)
    m = ganforge.build("encoder", TINY["mapping"], data, check=False)
    z = torch.randn(6, 4)
    domain = torch.tensor([0, 1, 2, 2, 1, 0])
    with torch.no_grad():
        out = m(None, ganforge.Condition(z=z, domain=domain))["style"]
        h = m.shared(z)
        expected = torch.stack([m.heads[int(d)](h[i]) for i, d in enumerate(domain)])
        torch.testing.assert_close(out, expected)
        # changing head 1 changes exactly the samples whose target is domain 1
        for p in m.heads[1].parameters():
            p.add_(0.5)
        changed = (m(None, ganforge.Condition(z=z, domain=domain))["style"] - out).abs().sum(1) > 0
    assert changed.tolist() == [False, True, False, False, True, False]


def test_style_encoder_and_discriminator_select_by_domain():
    data = data_info(num_domains=3)
    s = ganforge.build("encoder", TINY["style_encoder"], data, check=False)
    d = ganforge.build("discriminator", TINY["discriminator"], data, check=False)
    x = torch.randn(3, 3, 32, 32)
    domain = torch.tensor([2, 0, 1])
    with torch.no_grad():
        style = s(x, ganforge.Condition(domain=domain))["style"]
        h = s.trunk(x)
        torch.testing.assert_close(style, torch.stack([s.heads[int(y)](h[i]) for i, y in enumerate(domain)]))
        logits = d.logits(x)
        scores = d(x, ganforge.Condition(domain=domain)).scores
    assert logits.shape == (3, 3) and len(scores) == 1
    torch.testing.assert_close(scores[0], logits[torch.arange(3), domain])


def test_domain_out_of_range_is_named():
    d = ganforge.build("discriminator", TINY["discriminator"], data_info(num_domains=2), check=False)
    with pytest.raises(ValueError, match=r"discriminator 'stargan_v2': domain ids must lie in \[0, 2\)"):
        d(torch.randn(2, 3, 32, 32), ganforge.Condition(domain=torch.tensor([0, 2])))


def test_networks_without_domains_or_with_bad_sizes_are_config_errors():
    with pytest.raises(ganforge.ConfigError, match="no domains"):
        ganforge.build("encoder", TINY["mapping"], data_info(num_domains=0), check=False)
    with pytest.raises(ganforge.ConfigError, match="power of two"):
        ganforge.build("generator", TINY["generator"], data_info(resolution=48), check=False)


def test_generator_high_pass_path_uses_the_masks():
    """With w_hpf > 0 the decoder adds high-passed, masked encoder features: an all-zero
    mask gives the plain decoder output, a non-zero one changes it."""
    data = data_info(fields=("domain", "face_mask"), resolution=32)
    g = ganforge.build("generator", {**TINY["generator"], "w_hpf": 1.0}, data, check=False).eval()
    assert g.requirements(g.params, data) == {"source", "face_mask"}
    source, style = torch.rand(2, 3, 32, 32) * 2 - 1, torch.randn(2, 8)
    cond = ganforge.Condition(source=source, style=style)
    with torch.no_grad():
        zero = g(cond.replace(face_mask=torch.zeros(2, 2, 32, 32)))
        ones = g(cond.replace(face_mask=torch.ones(2, 2, 32, 32)))
        skip_free = g.to_rgb(_decode_without_skips(g, cond))
    torch.testing.assert_close(zero, skip_free)
    assert (ones - zero).abs().mean() > 1e-3


def _decode_without_skips(g, cond):
    x = g.from_rgb(cond["source"])
    for block in g.encoder:
        x = block(x)
    for block in g.decoder:
        x = block(x, cond)
    return x


def test_high_pass_kernel():
    from ganforge_stargan_v2.generator import HighPass

    hpf = HighPass(2.0)
    x = torch.zeros(1, 2, 5, 5)
    x[0, 1, 2, 2] = 1.0
    y = hpf(x)
    assert y[0, 0].abs().sum() == 0
    assert y[0, 1, 2, 2] == 4.0 and y[0, 1, 1, 1] == -0.5 and y[0, 1, 0, 0] == 0.0
    assert "kernel" not in hpf.state_dict()


def test_generator_keeps_resolution_and_reads_only_its_fields():
    data = data_info(resolution=64)
    g = ganforge.build("generator", TINY["generator"], data, check=False)
    out = g(ganforge.Condition(source=torch.randn(1, 3, 64, 64), style=torch.randn(1, 8)))
    assert out.shape == (1, 3, 64, 64)
    # 64 px: from 2^14/64 = 256 channels by default, two down-sampling levels (to 16x16)
    with torch.device("meta"):
        default = ganforge.build("generator", "stargan_v2", data, check=False)
    assert default.from_rgb.out_channels == 256 and sum(b.downsample for b in default.encoder) == 2


def test_resblocks_reordered_and_strided_forms_equal_the_official_order():
    """The downsampling block (pooled 1x1 skip, conv1 + pool as one stride-2 conv) and the
    upsampling block (1x1 skip before the upsampling, upsample + conv1 as one transposed
    conv) are as close to a float64 evaluation of the official order as the official
    order in fp32 is: outputs and every gradient."""
    import copy
    import math

    import torch.nn.functional as F

    from ganforge.resample_conv import MIN_SIDE_POOL
    from ganforge_stargan_v2.generator import AdaINResBlock
    from ganforge_stargan_v2.layers import ResBlock

    def official_down(block, x, cond):  # clovaai/stargan-v2 ResBlk: conv1x1 then pool; conv1 then pool
        sc = F.avg_pool2d(block.skip(x), 2)
        r = F.avg_pool2d(block.conv1(F.leaky_relu(block.norm1(x), 0.2)), 2)
        r = block.conv2(F.leaky_relu(block.norm2(r), 0.2))
        return (sc + r) / math.sqrt(2)

    def official_up(block, x, cond):  # AdainResBlk: upsample then conv1x1; upsample then conv1
        up = lambda t: F.interpolate(t, scale_factor=2, mode="nearest")  # noqa: E731
        r = block.conv1(up(F.leaky_relu(block.norm1(x, cond), 0.2)))
        r = block.conv2(F.leaky_relu(block.norm2(r, cond), 0.2))
        return (r + block.skip(up(x))) / math.sqrt(2)

    torch.manual_seed(0)
    down = ResBlock(4, 8, normalize=True, downsample=True)
    up = AdaINResBlock(8, 4, {"type": "adain", "style_dim": 3}, data_info(), upsample=True, shortcut=True)
    style = torch.randn(2, 3)
    for block, official, x in ((down, official_down, torch.randn(2, 4, MIN_SIDE_POOL, MIN_SIDE_POOL)),
                               (up, official_up, torch.randn(2, 8, 16, 16))):
        g = torch.randn_like(official(block, x, ganforge.Condition(style=style)))

        def values(fn, block, x, style):
            x, style = x.clone().requires_grad_(), style.clone()
            out = fn(block, x, ganforge.Condition(style=style))
            return [out, *torch.autograd.grad(out, [x, *block.parameters()], g.to(out.dtype))]

        exact = copy.deepcopy(block).double()  # the official order in float64: the reference
        ref = values(official, exact, x.double(), style.double())
        ours = values(lambda b, x, c: b(x, c) if isinstance(b, AdaINResBlock) else b(x), block, x, style)
        theirs = values(official, block, x, style)
        for o, t, r in zip(ours, theirs, ref):  # both fp32 forms are as far from float64 (summation noise)
            err_ours, err_theirs = float((o.detach() - r).abs().max()), float((t.detach() - r).abs().max())
            assert err_ours <= 10 * err_theirs + 1e-6 * float(r.detach().abs().max()), (err_ours, err_theirs)
