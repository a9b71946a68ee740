"""Spectral norm with the official update order: from the same weights and vectors, the
training-mode steps give exactly what torch's original hook (the one every official
implementation used) gives — weights, u, v and outputs — where torch's parametrization
(u first) does not."""

from __future__ import annotations

import copy

import torch
from torch import nn
from torch.nn.utils import parametrizations

from ganforge.spectral import spectral_norm


def with_old_hook(conv: nn.Conv2d) -> nn.Conv2d:
    """A conv with torch's original spectral-norm hook (the official implementations'
    layer) and the same weight, bias, u and v as the parametrized ``conv``. (Built anew:
    removing a parametrization from a deep copy would break the original, which shares
    its class.)"""
    sn = conv.parametrizations.weight[0]
    old = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size)
    with torch.no_grad():
        old.weight.copy_(conv.parametrizations.weight.original)
        old.bias.copy_(conv.bias)
    torch.nn.utils.spectral_norm(old, dim=sn.dim)
    old.weight_u.copy_(sn._u)
    old.weight_v.copy_(sn._v)
    return old


def test_a_layer_steps_like_the_original_hook():
    torch.manual_seed(0)
    ours = spectral_norm(nn.Conv2d(3, 5, 3))
    torch_order = parametrizations.spectral_norm(copy.deepcopy(nn.Conv2d(3, 5, 3)))
    torch_order.load_state_dict(ours.state_dict())
    old = with_old_hook(ours)
    x = torch.randn(2, 3, 8, 8)
    for _ in range(3):  # training-mode forwards: one power iteration each
        out_ours, out_old, out_torch = ours(x), old(x), torch_order(x)
        torch.testing.assert_close(out_ours, out_old, rtol=0, atol=1e-6)
    assert not torch.allclose(out_torch, out_old, rtol=0, atol=1e-6)
    torch.testing.assert_close(ours.parametrizations.weight[0]._u, old.weight_u, rtol=0, atol=1e-7)
    torch.testing.assert_close(ours.parametrizations.weight[0]._v, old.weight_v, rtol=0, atol=1e-7)
    ours.eval(), old.eval()
    torch.testing.assert_close(ours(x), old(x), rtol=0, atol=1e-6)


def test_state_dict_names_are_the_parametrizations():
    conv = spectral_norm(nn.Conv2d(3, 5, 3))
    assert set(conv.state_dict()) == {"bias", "parametrizations.weight.original", "parametrizations.weight.0._u",
                                      "parametrizations.weight.0._v"}
    deconv = spectral_norm(nn.ConvTranspose2d(3, 5, 3))
    assert deconv.parametrizations.weight[0]._u.shape == (5,)  # dim 1 for transposed convs, as torch's
