"""The generator's normalizer is a slot: other papers' normalizers drive it from the Condition."""

from __future__ import annotations

from typing import ClassVar

import torch
from pydantic import Field
from torch import nn

import ganforge
import ganforge_stargan_v2.plugin as stargan_v2

from .helpers import TINY_TRUNK, data_info


class DomainNormParams(ganforge.Params):
    embed: int = Field(4, ge=1, description="unused width, to show params pass through the slot")


class DomainNorm(ganforge.Normalizer):
    """Instance norm with a learned per-domain scale and bias (reads cond['domain'])."""

    Params: ClassVar = DomainNormParams
    requires = frozenset({"domain"})

    def __init__(self, params, data, num_features):
        super().__init__(params, data, num_features)
        self.norm = nn.InstanceNorm2d(num_features)
        self.scale = nn.Embedding(data.num_domains, num_features)
        self.bias = nn.Embedding(data.num_domains, num_features)

    def forward(self, x, cond):
        y = cond["domain"]
        return self.norm(x) * (1 + self.scale(y)[:, :, None, None]) + self.bias(y)[:, :, None, None]


class LocalPlugin:
    @staticmethod
    @ganforge.hookimpl
    def ganforge_register(register):
        register("normalizer", "domain_norm", DomainNorm)


def forward_backward(generator, cond):
    out = generator(cond)
    out.square().mean().backward()
    unreached = [n for n, p in generator.named_parameters() if p.grad is None]
    assert not unreached, unreached
    return out


def test_generator_with_a_test_local_normalizer(isolated_registry):
    isolated_registry(("stargan_v2", stargan_v2), ("local", LocalPlugin()))
    data = data_info()
    spec = {"type": "stargan_v2", **TINY_TRUNK, "norm": {"type": "domain_norm"}}
    # the slot's needs replace AdaIN's: 'domain' instead of 'style'
    try:
        ganforge.build("generator", spec, data_info(fields=()))
    except ganforge.ConditionMismatch as exc:
        assert "generator.norm: normalizer 'domain_norm' needs condition field 'domain'" in str(exc)
        assert "'style'" not in str(exc)
    else:
        raise AssertionError("the slot's requirement was not checked")
    g = ganforge.build("generator", spec, data, check=False)
    assert all(isinstance(b.norm1, DomainNorm) for b in g.decoder)
    cond = ganforge.Condition(source=torch.rand(2, 3, 32, 32) * 2 - 1, domain=torch.tensor([0, 1]))
    out = forward_backward(g, cond)
    assert out.shape == (2, 3, 32, 32)
    with torch.no_grad():
        other = g(cond.replace(domain=torch.tensor([1, 1])))
    assert torch.equal(other[1], out[1].detach()) and not torch.allclose(other[0], out[0].detach())


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
