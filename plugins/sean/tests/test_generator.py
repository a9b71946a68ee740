"""The SEAN generator: which blocks are styled, styles reaching the image, mixing with SPADE."""

from __future__ import annotations

import pytest
import torch

import ganforge
from ganforge import DataInfo
from ganforge_sean.norm import SEAN
from ganforge_spade.norm import SPADE


def norms(net):
    """The normalizers of the residual blocks (norm_0, norm_1, norm_s), not their inner parts."""
    blocks = net.blocks if hasattr(net, "blocks") else [net]
    return [m for b in blocks for name, m in b.named_children() if name.startswith("norm")]


def test_every_block_but_the_last_is_styled(registry, data, tiny):
    g = ganforge.build("generator", tiny["generator"], data)
    assert len(g.blocks) == 7  # head_0, G_middle_0, G_middle_1, up_0 ... up_3
    for block in g.blocks[:-1]:
        assert all(isinstance(n, SEAN) and n.params.use_style for n in norms(block))
    assert len(norms(g.blocks[-1])) == 3 and all(not n.params.use_style for n in norms(g.blocks[-1]))


def test_styles_reach_the_image_and_gradients_reach_the_encoder(registry, data, tiny, make_condition):
    torch.manual_seed(0)
    g = ganforge.build("generator", tiny["generator"], data)
    enc = ganforge.build("encoder", tiny["encoder"], data.model_copy(update={"fields": frozenset({"label"})}))
    cond = make_condition(data, batch=2)
    image = torch.rand(2, 3, 32, 32) * 2 - 1
    codes = enc(image, cond)["region_style"]
    torch.manual_seed(1)
    fake = g(cond.replace(region_style=codes))
    torch.manual_seed(1)
    other = g(cond.replace(region_style=codes.flip(0)))  # the other sample's styles
    assert fake.shape == (2, 3, 32, 32) and (fake - other).abs().max() > 1e-4
    fake.mean().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in enc.parameters())


def _mixed_step(registry, gen_spec, data, make_condition, tiny, with_encoder=True):
    """Build G (and the style encoder feeding it), one forward + backward; returns G."""
    label_only = data.model_copy(update={"fields": frozenset({"label"})})
    ganforge.registry.check_requirements("generator", gen_spec, data if with_encoder else label_only)
    torch.manual_seed(0)
    g = ganforge.build("generator", gen_spec, data)
    cond = make_condition(data).replace(region_style=None)
    params = list(g.parameters())
    if with_encoder:
        enc = ganforge.build("encoder", tiny["encoder"], label_only)
        cond = cond.replace(region_style=enc(torch.rand(2, 3, 32, 32) * 2 - 1, cond)["region_style"])
        params += list(enc.parameters())
    out = g(cond)
    assert out.shape == (2, 3, 32, 32) and torch.isfinite(out).all()
    out.square().mean().backward()
    unreached = [p.shape for p in params if p.grad is None]
    assert not unreached
    return g


def test_sean_normalization_inside_spade_generator(registry, data, tiny, make_condition):
    g = _mixed_step(registry, {"type": "spade", "ngf": 2, "norm": tiny["norm"]}, data, make_condition, tiny)
    assert type(g).__name__ == "SPADEGenerator"
    assert all(isinstance(n, SEAN) for n in norms(g)) and len(norms(g)) == 18  # 2 + 2 + 2 + 3 + 3 + 3 + 3


def test_spade_normalization_inside_sean_generator(registry, data, tiny, make_condition):
    spec = {**tiny["generator"], "norm": {"type": "spade", "nhidden": 8, "param_free_norm": "batch"}}
    g = _mixed_step(registry, spec, data, make_condition, tiny, with_encoder=False)
    assert all(isinstance(n, SPADE) for b in g.blocks[:-1] for n in norms(b))
    # and with styles back in the last block, the encoder feeds it
    spec["final_norm"] = tiny["norm"]
    g = _mixed_step(registry, spec, data, make_condition, tiny)
    assert all(isinstance(n, SEAN) and n.params.use_style for n in norms(g.blocks[-1]))


def test_a_sean_generator_without_style_matrices_is_a_condition_mismatch(registry, tiny):
    label_only = DataInfo(fields=frozenset({"label"}), resolution=(32, 32), label_nc=4)
    with pytest.raises(ganforge.ConditionMismatch, match=r"generator\.norm: normalizer 'sean' needs condition field "
                                                         r"'region_style'"):
        ganforge.build("generator", tiny["generator"], label_only)


def test_resolution_must_fit_the_upsamplings(registry, tiny):
    odd = DataInfo(fields=frozenset({"label", "region_style"}), resolution=(48, 40), label_nc=4)
    with pytest.raises(ganforge.ConfigError, match="generator 'sean': data.resolution 48x40 must be divisible by 2"):
        ganforge.build("generator", tiny["generator"], odd)


def test_most_upsamplings_run_the_extra_block_without_styles(registry, tiny, make_condition):
    """The official code builds up_4 for 'most' but never calls it (and then fails in
    conv_img); here it runs, normalised like up_3 by final_norm."""
    data = DataInfo(fields=frozenset({"label", "region_style"}), resolution=(128, 128), label_nc=4)
    g = ganforge.build("generator", {**tiny["generator"], "num_upsampling_layers": "most"}, data)
    assert len(g.blocks) == 8 and g.start_size == (1, 1)
    assert [n.params.use_style for b in g.blocks[-2:] for n in norms(b)] == [False] * 6  # 3 each (learned shortcuts)
    assert g(make_condition(data, batch=2)).shape == (2, 3, 128, 128)
