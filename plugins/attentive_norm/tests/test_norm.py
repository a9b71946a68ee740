"""Attentive Normalization: the layout, the regional normalization, the residual start, the
self-sampling switch and the orthogonality regularizer."""

from __future__ import annotations

import pytest
import torch

import ganforge
from ganforge import Condition, DataInfo
from ganforge_attentive_norm.norm import AttentiveNorm, learned_layouts, semantic_regularization

DATA = DataInfo(fields=frozenset(), resolution=(16, 16))
EMPTY = Condition()


def build(an, channels=16, **params) -> AttentiveNorm:
    torch.manual_seed(0)
    return ganforge.build("normalizer", {"type": "attentive_norm", **params}, DATA, num_features=channels)


def test_layout_is_a_soft_partition_into_n_entities(an):
    norm = build(an, n=6).eval()
    x = torch.randn(2, 16, 8, 12)
    s = norm.layout(x)
    assert s.shape == (2, 6, 8, 12)
    assert torch.all(s > 0) and torch.allclose(s.sum(1), torch.ones(2, 8, 12))


def test_starts_as_identity_then_adds_the_regional_normalization(an):
    """rho = 0 at initialisation (the residual scheme): AN(X) = X exactly."""
    norm = build(an)
    x = torch.randn(2, 16, 8, 8)
    assert torch.equal(norm(x, EMPTY), x)
    with torch.no_grad():
        norm.rho.fill_(1.0)
    assert not torch.allclose(norm(x, EMPTY), x)


def test_each_hard_region_is_instance_normalised(an):
    """With a one-hot layout the output is IN inside each region: zero mean, unit variance."""
    norm = build(an, n=2, eps=1e-8)
    v = torch.randn(1, 16, 8, 8) * 3 + 5
    s = torch.zeros(1, 2, 8, 8)
    s[:, 0, :, :3] = 1  # region 0: the left 3 columns; region 1: the rest
    s[:, 1, :, 3:] = 1
    out = norm.regional_norm(v, s)
    for region in (out[..., :3], out[..., 3:]):
        flat = region.flatten(2)
        assert torch.allclose(flat.mean(-1), torch.zeros(1, 16), atol=1e-4)
        assert torch.allclose(flat.var(-1, unbiased=False), torch.ones(1, 16), atol=1e-3)
    # global IN would not normalise the regions separately
    assert not torch.allclose(torch.nn.functional.instance_norm(v)[..., :3].mean((2, 3)), torch.zeros(1, 16),
                              atol=1e-2)


def test_self_sampling_is_random_in_training_and_off_at_test(an):
    norm = build(an)
    x = torch.randn(2, 16, 8, 8)
    torch.manual_seed(1)
    a = norm.layout(x)
    torch.manual_seed(2)
    b = norm.layout(x)
    assert not torch.allclose(a, b)  # n different sampled positions
    norm.eval()
    assert torch.equal(norm.layout(x), norm.layout(x))
    logits = torch.einsum("nc,bchw->bnhw", norm.entity_filters, x) / norm.params.temperature
    assert torch.allclose(norm.layout(x), logits.softmax(1), atol=1e-6)


def test_orthogonality_regularizer(an):
    norm = build(an, n=8)
    assert semantic_regularization(norm).item() == pytest.approx(0.0, abs=1e-4)  # orthogonal rows at start
    with torch.no_grad():
        norm.entity_filters[1] = norm.entity_filters[0]
    reg = semantic_regularization(norm)
    assert reg.item() == pytest.approx(2.0, abs=1e-4)  # two off-diagonal entries of 1
    reg.backward()
    assert norm.entity_filters.grad.abs().sum() > 0


def test_records_the_last_layout_for_the_layout_picture(an):
    norm = build(an, n=4).eval()
    norm(torch.randn(1, 16, 8, 8), EMPTY)
    (layout,) = learned_layouts(norm)
    assert layout.shape == (1, 4, 8, 8) and not layout.requires_grad


def test_in_addition_to_spade_reads_the_label_map(an):
    data = DataInfo(fields=frozenset({"label"}), resolution=(16, 16), label_nc=3)
    spec = {"type": "attentive_norm", "then": {"type": "spade", "nhidden": 8}}
    ganforge.registry.check_requirements("normalizer", spec, data)
    norm = ganforge.build("normalizer", spec, data, num_features=8)
    out = norm(torch.randn(2, 8, 16, 16), Condition(label=torch.randint(0, 3, (2, 16, 16))))
    assert out.shape == (2, 8, 16, 16)
    with pytest.raises(ganforge.ConditionMismatch, match=r"generator.norm.then: normalizer 'spade'.*'label'"):
        ganforge.registry.check_requirements("normalizer", spec, DataInfo(fields=frozenset(), label_nc=3),
                                             "generator.norm")
