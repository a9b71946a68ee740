"""StarGAN v2 (plugins/stargan_v2) mixed with SPADE (plugins/spade) and SEAN (plugins/sean):
its style encoder feeding SPADE's generator through the Condition, and each paper's
normalizer in the other's generator (the normalizer is a slot)."""

from __future__ import annotations

import copy

import pytest
import torch

import ganforge
from ganforge.config import from_dict, verify
from ganforge.testing import short_run, window_means

TINY_TRUNK = {"dim_in": 8, "max_conv_dim": 16}
STYLE_ENCODER = {"type": "stargan_v2_style", **TINY_TRUNK, "style_dim": 8}
# SPADE's recipe; the look (day, dusk, night) cannot be read from the label map, so
# StarGAN v2's style encoder carries it from the real image as `style`, which StarGAN v2's
# AdaIN reads inside SPADE's generator
CONFIG = {
    "data": {"type": "synthetic", "resolution": 64, "fields": ["label", "domain"], "num_domains": 3, "length": 64},
    "models": {
        "generator": {"type": "spade", "ngf": 8, "norm": {"type": "adain", "style_dim": 8}},
        "encoder": STYLE_ENCODER,
        "discriminator": {"type": "multiscale_patch", "ndf": 8, "n_layers": 2, "num_D": 1},
    },
    "strategy": {"type": "paired_conditional", "vgg": None},
    "optim": {"generator": {"lr": 1e-3, "betas": [0.0, 0.9]}, "discriminator": {"lr": 2e-3, "betas": [0.0, 0.9]}},
    "train": {"batch_size": 4, "precision": "fp32", "seed": 0},
}


def test_style_encoder_feeding_spades_generator_validates_and_trains(ganforge_registry, tmp_path):
    info = verify(from_dict(CONFIG))
    assert {"label", "domain", "style"} <= info.fields  # style: what stargan_v2_style provides
    logs = short_run(CONFIG, tmp_path, 24)
    assert len(logs) == 24 and {"d_loss", "g_gan", "g_feat"} <= set(logs[-1])
    first, last = window_means(logs, "d_loss", 6)
    assert last < first  # the discriminator learns to tell the mix's images from real ones


def test_without_the_style_encoder_adain_has_no_style(ganforge_registry):
    config = copy.deepcopy(CONFIG)
    del config["models"]["encoder"]
    with pytest.raises(ganforge.ConditionMismatch, match=r"models.generator.*'style'"):
        verify(from_dict(config))


def test_the_reference_style_drives_spades_generator(ganforge_registry):
    """One label map, two references: two outputs, and the loss reaches the encoder."""
    data = ganforge.DataInfo(fields=frozenset({"label", "domain", "style"}), label_nc=4, num_domains=3,
                             resolution=(64, 64))
    torch.manual_seed(0)
    encoder = ganforge.build("encoder", STYLE_ENCODER, data)
    generator = ganforge.build("generator", CONFIG["models"]["generator"], data)
    cond = ganforge.Condition(label=torch.randint(0, 4, (1, 64, 64)).expand(2, 64, 64), domain=torch.tensor([0, 2]))
    style = encoder(torch.rand(2, 3, 64, 64) * 2 - 1, cond)["style"]
    out = generator(cond.replace(style=style))
    out.mean().backward()
    assert out.shape == (2, 3, 64, 64) and not torch.allclose(out[0], out[1])
    reached = [sum(p.grad.abs().sum().item() for p in head.parameters()) for head in encoder.heads]
    assert reached[0] > 0 and reached[2] > 0 and reached[1] == 0  # each reference's own domain head


def forward_backward(generator, cond):
    out = generator(cond)
    out.square().mean().backward()
    unreached = [n for n, p in generator.named_parameters() if p.grad is None]
    assert not unreached, unreached
    return out


def test_generator_with_spades_normalizer_reading_a_label_map(ganforge_registry):
    """SPADE's normalizer (plugins/spade) in the StarGAN v2 decoder: the label map, not a
    style code, now modulates the translation."""
    data = ganforge.DataInfo(fields=frozenset({"label", "domain", "source"}), label_nc=4, num_domains=2, resolution=(32, 32))
    spec = {"type": "stargan_v2", **TINY_TRUNK,
            "norm": {"type": "spade", "param_free_norm": "instance", "nhidden": 8}}
    g = ganforge.build("generator", spec, data)
    label = torch.randint(0, 4, (2, 32, 32))
    cond = ganforge.Condition(source=torch.rand(2, 3, 32, 32) * 2 - 1, label=label)
    forward_backward(g, cond)
    with torch.no_grad():
        a, b = g(cond), g(cond.replace(label=(label + 1) % 4))
    assert not torch.allclose(a, b)
    missing = ganforge.DataInfo(fields=frozenset({"domain", "source"}), num_domains=2, resolution=(32, 32))
    try:
        ganforge.build("generator", spec, missing)
    except ganforge.ConditionMismatch as exc:
        assert "generator.norm" in str(exc) and "'label'" in str(exc)
    else:
        raise AssertionError("a SPADE-normalised generator without a label map must not build")


def test_generator_with_seans_normalizer(ganforge_registry):
    """SEAN's region-adaptive normalizer (plugins/sean) in the StarGAN v2 decoder."""
    data = ganforge.DataInfo(fields=frozenset({"label", "region_style", "source"}), label_nc=4, num_domains=2,
                             resolution=(32, 32))
    spec = {"type": "stargan_v2", **TINY_TRUNK,
            "norm": {"type": "sean", "param_free_norm": "instance", "style_length": 8, "nhidden": 8}}
    g = ganforge.build("generator", spec, data)
    cond = ganforge.Condition(source=torch.rand(2, 3, 32, 32) * 2 - 1, label=torch.randint(0, 4, (2, 32, 32)),
                              region_style=torch.randn(2, 4, 8))
    out = forward_backward(g, cond)
    with torch.no_grad():
        assert not torch.allclose(g(cond.replace(region_style=torch.randn(2, 4, 8))), out)


def test_adain_in_spades_generator(ganforge_registry):
    """The other direction: AdaIN, fed a global style code, in SPADE's generator."""
    data = ganforge.DataInfo(fields=frozenset({"label", "style"}), label_nc=4, resolution=(128, 128))
    g = ganforge.build("generator", {"type": "spade", "ngf": 4, "norm": {"type": "adain", "style_dim": 8}}, data)
    cond = ganforge.Condition(label=torch.randint(0, 4, (2, 128, 128)), style=torch.randn(2, 8))
    out = g(cond)
    out.mean().backward()
    assert out.shape == (2, 3, 128, 128)
    assert all(p.grad is not None for n, p in g.named_parameters() if ".fc." in n)
