"""`OneHotConv2d.lookup` is the dense conv over [one-hot(ids) | extra], forward and gradients."""

import copy

import pytest
import torch
import torch.nn.functional as F

from ganforge.condition import onehot
from ganforge.onehot_conv import OneHotConv2d
from ganforge.spectral import spectral_norm


@pytest.mark.parametrize("classes, extra, kernel, stride, padding, batch, at", [
    (6, 1, 3, 1, 1, 2, 0),   # SPADE's mlp_shared: 3x3 over the one-hot map + instance edges
    (9, 4, 4, 2, 2, 1, 0),   # the patch discriminator's first conv over [one-hot | edges | image]
    (5, 0, 3, 1, 0, 2, 0),   # no extra channels, no padding
    (4, 3, 1, 1, 0, 1, 0),   # 1x1
    (6, 3, 3, 1, 0, 2, 3),   # CoCosNet's mlp_shared: [warped exemplar | one-hot], reflection-padded outside
    (5, 3, 3, 2, 1, 1, 1),   # dense channels on both sides of the one-hot block
])
def test_lookup_equals_the_dense_conv_forward_and_gradients(classes, extra, kernel, stride, padding, batch, at):
    torch.manual_seed(0)
    conv = OneHotConv2d(classes, classes + extra, 7, kernel, stride=stride, padding=padding, onehot_at=at)
    ids = torch.randint(0, classes, (batch, 11, 13))
    ids[:, 0, :] = classes - 1  # the last id (the don't-care channel) along a border
    ids[:, :, -1] = 0
    dense_extra = torch.randn(batch, extra, 11, 13, requires_grad=True) if extra else None
    ref_extra = dense_extra.detach().clone().requires_grad_() if extra else None
    parts = [onehot(ids, classes)] if not extra else [ref_extra[:, :at], onehot(ids, classes), ref_extra[:, at:]]
    x = torch.cat(parts, 1)

    want = conv(x)
    want.sin().sum().backward()
    grads = {n: p.grad.clone() for n, p in conv.named_parameters()}
    conv.zero_grad()
    got = conv.lookup(ids, dense_extra)
    got.sin().sum().backward()

    assert got.shape == want.shape and got.is_contiguous()
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)
    for name, param in conv.named_parameters():
        torch.testing.assert_close(param.grad, grads[name], rtol=1e-4, atol=1e-4)
    if extra:
        torch.testing.assert_close(dense_extra.grad, ref_extra.grad, rtol=1e-5, atol=1e-5)


def test_lookup_rejects_a_wrong_number_of_extra_channels():
    conv = OneHotConv2d(4, 5, 3, 3, padding=1)
    with pytest.raises(ValueError, match="expected 1 extra channels, got 0"):
        conv.lookup(torch.zeros(1, 4, 4, dtype=torch.long))


def test_lookup_of_reflection_padded_ids_equals_the_reflection_padded_dense_conv():
    """CoCosNet pads with reflection: the caller pads the ids and the dense channels."""
    torch.manual_seed(0)
    conv = OneHotConv2d(5, 8, 4, 3, onehot_at=3).double()
    ids, warped = torch.randint(0, 5, (2, 9, 10)), torch.randn(2, 3, 9, 10, dtype=torch.float64)
    want = conv(F.pad(torch.cat([warped, onehot(ids, 5).double()], 1), (1, 1, 1, 1), mode="reflect"))
    got = conv.lookup(F.pad(ids[:, None], (1, 1, 1, 1), mode="reflect")[:, 0], F.pad(warped, (1, 1, 1, 1),
                                                                                       mode="reflect"))
    torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)


def test_lookup_reads_a_spectral_norm_weight_once():
    """A parametrized weight runs one power iteration per read, as one dense forward does."""
    torch.manual_seed(0)
    conv = spectral_norm(OneHotConv2d(4, 6, 3, 3, padding=1, onehot_at=1))
    twin = copy.deepcopy(conv)
    ids, extra = torch.randint(0, 4, (1, 5, 5)), torch.randn(1, 2, 5, 5)
    want = twin(torch.cat([extra[:, :1], onehot(ids, 4), extra[:, 1:]], 1))
    got = conv.lookup(ids, extra)
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(conv.parametrizations.weight[0]._u, twin.parametrizations.weight[0]._u)
