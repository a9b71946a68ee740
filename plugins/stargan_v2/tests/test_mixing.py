"""The generator's normalizer is a slot: a normalizer the plugin does not know (a lab's own,
registered by a test-local plugin) drives it from the Condition. The mixes with other
papers' normalizers and encoders need those plugins and live in the root
tests/mixing/test_stargan_v2.py."""

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
