"""The correlation matrix and warp (Eq. 2-4): exact values, and the chunked computation
equal to the full one -- outputs and gradients."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from ganforge_cocosnet.correlation import match_features, warp


def test_match_features_are_centred_unit_vectors_of_neighbourhoods():
    x = torch.randn(2, 5, 6, 7)
    f = match_features(x, 3)
    assert f.shape == (2, 5 * 9, 42)
    assert torch.allclose(f.mean(dim=1), torch.zeros(2, 42), atol=1e-6)
    assert torch.allclose(f.norm(dim=1), torch.ones(2, 42), atol=1e-5)
    centred = x.flatten(2) - x.flatten(2).mean(1, keepdim=True)
    assert torch.allclose(match_features(x, 1), centred / centred.norm(dim=1, keepdim=True), atol=1e-6)


def test_warp_is_the_softmax_of_cosine_similarities_over_temperature():
    torch.manual_seed(0)
    q, k = F.normalize(torch.randn(1, 4, 5), dim=1), F.normalize(torch.randn(1, 4, 6), dim=1)
    v = torch.randn(1, 6, 3)
    expected = torch.softmax(q[0].T @ k[0] / 0.5, dim=-1) @ v[0]
    assert torch.allclose(warp(q, k, v, temperature=0.5)[0], expected, atol=1e-6)


def test_low_temperature_copies_the_best_match():
    """At tau = 0.01 the warp picks the exemplar position with the same feature."""
    k = F.normalize(torch.eye(4)[None], dim=1)  # 4 orthogonal positions
    perm = torch.tensor([2, 0, 3, 1])
    q = k[:, :, perm]
    v = torch.arange(4.0).view(1, 4, 1)
    assert torch.allclose(warp(q, k, v, temperature=0.01)[0, :, 0], perm.float(), atol=1e-6)


@pytest.mark.parametrize("chunk_size", [1, 7, 16, 64])
def test_chunked_equals_full_with_gradients(chunk_size):
    torch.manual_seed(1)
    q = F.normalize(torch.randn(2, 8, 50, dtype=torch.float64), dim=1).requires_grad_()
    k = F.normalize(torch.randn(2, 8, 40, dtype=torch.float64), dim=1).requires_grad_()
    v = torch.randn(2, 40, 5, dtype=torch.float64, requires_grad=True)
    weight = torch.randn(2, 50, 5, dtype=torch.float64)
    full = warp(q, k, v, 0.01)
    grads_full = torch.autograd.grad((full * weight).sum(), (q, k, v))
    chunked = warp(q, k, v, 0.01, chunk_size=chunk_size)
    grads_chunked = torch.autograd.grad((chunked * weight).sum(), (q, k, v))
    assert (chunked - full).abs().max() < 1e-6
    for a, b in zip(grads_chunked, grads_full):
        assert (a - b).abs().max() < 1e-6


def test_chunked_equals_full_in_float32_and_without_grad():
    torch.manual_seed(2)
    q, k = F.normalize(torch.randn(1, 16, 100), dim=1), F.normalize(torch.randn(1, 16, 100), dim=1)
    v = torch.randn(1, 100, 3)
    with torch.no_grad():
        assert (warp(q, k, v, 0.01, chunk_size=33) - warp(q, k, v, 0.01)).abs().max() < 1e-6


def test_shapes_and_chunk_size_are_checked():
    q, k, v = torch.randn(1, 4, 5), torch.randn(1, 4, 6), torch.randn(1, 6, 3)
    with pytest.raises(ValueError, match="do not fit"):
        warp(q, k, torch.randn(1, 5, 3))
    with pytest.raises(ValueError, match="chunk_size"):
        warp(q, k, v, chunk_size=0)
