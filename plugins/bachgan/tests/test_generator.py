"""The BachGAN generator: fusion as the official forward computes it, the SPADE backbone
fed with the fused layout, and what reaches the normalizers."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

import ganforge
from ganforge import Condition
from ganforge_bachgan.layout import box_layout, paste_boxes, thing_mask


def _condition(batch: int = 2, m: int = 2, k: int = 6, size: int = 32, seed: int = 0) -> Condition:
    gen = torch.Generator().manual_seed(seed)
    boxes = torch.tensor([[4, 0.1, 0.5, 0.4, 0.9], [5, 0.5, 0.3, 0.9, 0.8], [-1, 0, 0, 0, 0]]).repeat(batch, 1, 1)
    retrieved = torch.randint(0, 4, (batch, m, size // 8, size // 8), generator=gen)
    return Condition(boxes=boxes, retrieved=retrieved.repeat_interleave(8, 2).repeat_interleave(8, 3))


def test_output_and_no_label_needed(data, tiny_generator):
    g = ganforge.build("generator", tiny_generator, data)
    cond = _condition()
    assert "label" not in cond
    out = g(cond)
    assert out.shape == (2, 3, 32, 32) and out.abs().max() <= 1


def test_fusion_is_the_official_formula(data, tiny_generator):
    """F = ReLU(conv_m(a_0 + mean_i a_i)) + a_0 with a = ReLU(conv_e(.)) on S and each pasted candidate."""
    g = ganforge.build("generator", {**tiny_generator, "things": [4, 5]}, data)
    cond = _condition()
    s = box_layout(cond["boxes"], 6, (32, 32))
    cands = paste_boxes(cond["retrieved"], s, thing_mask([4, 5], cond["boxes"], 6))
    enc, mem = g.fusion.encode_shared[0], g.fusion.memory_shared[0]
    a0 = F.relu(enc(s))
    ai = torch.stack([F.relu(enc(cands[:, i])) for i in range(cands.shape[1])], 1)
    expected = F.relu(mem(a0 + ai.mean(1))) + a0
    assert torch.allclose(g.fused_layout(cond), expected, atol=1e-6)


def test_blocks_see_the_fused_layout_and_its_argmax(data, tiny_generator):
    g = ganforge.build("generator", tiny_generator, data)
    seen = []
    g.blocks[0].norm_0.register_forward_pre_hook(lambda module, args: seen.append(args[1]))
    cond = _condition().replace(label=torch.zeros(2, 32, 32, dtype=torch.long))  # a dataset label is ignored
    g(cond)
    fused = g.fused_layout(cond)
    assert torch.allclose(seen[0]["layout"], fused)
    assert torch.equal(seen[0]["label"], fused.argmax(1))


def test_fused_layout_drives_the_output(data, tiny_generator):
    """Other retrieved backgrounds give another image; the same ones give the same image.
    (Kaiming init: SPADE's xavier gain 0.02 makes a fresh generator's output ~1e-9.)"""
    spec = {**tiny_generator, "init_type": "kaiming", "norm": {**tiny_generator["norm"], "init_type": "kaiming"}}
    g = ganforge.build("generator", spec, data).eval()
    a, b = _condition(seed=0), _condition(seed=1)
    assert torch.equal(g(a), g(a))
    assert (g(a) - g(b)).abs().mean() > 1e-2 * g(a).abs().mean()


def test_label_reading_normalizers_drop_in(data, tiny_generator):
    spec = {**tiny_generator, "norm": {"type": "spade", "nhidden": 4, "use_instance": False}}
    g = ganforge.build("generator", spec, data)
    assert g(_condition()).shape == (2, 3, 32, 32)


def test_wrong_number_of_retrieved_maps_is_named(data, tiny_generator):
    g = ganforge.build("generator", tiny_generator, data)
    with pytest.raises(ganforge.DataError, match=r"'retrieved' must be \(B, 2, H, W\) \(num_retrieved\)"):
        g(_condition(m=3))


def test_things_outside_the_labels_are_a_config_error(data, tiny_generator):
    with pytest.raises(ganforge.ConfigError, match=r"things \[9\] outside \[0, 6\)"):
        ganforge.build("generator", {**tiny_generator, "things": [4, 9]}, data)


def test_fused_spade_outside_bachgan_names_the_missing_field(data):
    norm = ganforge.build("normalizer", {"type": "fused_spade", "nhidden": 4}, data, num_features=3)
    with pytest.raises(ganforge.ConditionMismatch, match="reads the fused layout .*'layout'"):
        norm(torch.randn(1, 3, 8, 8), Condition(label=torch.zeros(1, 8, 8, dtype=torch.long)))


def test_fused_spade_on_a_one_hot_layout_equals_spade(data):
    """On a hard layout (one-hot of a label map) the fused-layout SPADE is SPADE exactly."""
    torch.manual_seed(0)
    fused = ganforge.build("normalizer", {"type": "fused_spade", "nhidden": 4, "param_free_norm": "instance"},
                           data, num_features=3)
    spade = ganforge.build("normalizer", {"type": "spade", "nhidden": 4, "param_free_norm": "instance",
                                          "use_instance": False}, data, num_features=3)
    spade.load_state_dict(fused.state_dict())
    label = torch.randint(0, 6, (2, 16, 16))
    x = torch.randn(2, 3, 8, 8)
    onehot = F.one_hot(label, 6).permute(0, 3, 1, 2).float()
    assert torch.allclose(fused(x, Condition(layout=onehot)), spade(x, Condition(label=label)), atol=1e-6)


def test_discriminator_reads_the_box_layout(data):
    d = ganforge.build("discriminator", {"type": "bachgan_patch", "ndf": 4, "n_layers": 2}, data)
    image = torch.rand(2, 3, 32, 32) * 2 - 1
    cond = _condition()
    out = d(image, cond)
    assert len(out.scores) == 2 and len(out.features[0]) == 2
    moved = cond.replace(boxes=cond["boxes"].roll(1, dims=1).clone().index_fill_(2, torch.tensor([1]), 0.0))
    assert not torch.allclose(d(image, moved).scores[0], out.scores[0])
    first = d.scales[0].layers[0].conv
    assert first.in_channels == 6 + 3  # label_nc channels of the box layout, then the image
    assert type(first) is torch.nn.Conv2d  # a multi-hot layout: no one-hot lookup conv


def test_the_discriminator_has_no_lookup_option(data):
    """SPADE's lookup needs a one-hot input; overlapping boxes make the layout multi-hot."""
    with pytest.raises(ganforge.ConfigError, match="lookup"):
        ganforge.build("discriminator", {"type": "bachgan_patch", "lookup": True}, data)
