"""`OneHotConv2d.lookup` is the dense conv over [one-hot(ids) | extra], forward and gradients."""

import pytest
import torch

from ganforge.condition import onehot
from ganforge.onehot_conv import OneHotConv2d


@pytest.mark.parametrize("classes, extra, kernel, stride, padding, batch", [
    (6, 1, 3, 1, 1, 2),   # SPADE's mlp_shared: 3x3 over the one-hot map + instance edges
    (9, 4, 4, 2, 2, 1),   # the patch discriminator's first conv over [one-hot | edges | image]
    (5, 0, 3, 1, 0, 2),   # no extra channels, no padding
    (4, 3, 1, 1, 0, 1),   # 1x1
])
def test_lookup_equals_the_dense_conv_forward_and_gradients(classes, extra, kernel, stride, padding, batch):
    torch.manual_seed(0)
    conv = OneHotConv2d(classes, classes + extra, 7, kernel, stride=stride, padding=padding)
    ids = torch.randint(0, classes, (batch, 11, 13))
    ids[:, 0, :] = classes - 1  # the last id (the don't-care channel) along a border
    ids[:, :, -1] = 0
    dense_extra = torch.randn(batch, extra, 11, 13, requires_grad=True) if extra else None
    ref_extra = dense_extra.detach().clone().requires_grad_() if extra else None
    x = torch.cat([onehot(ids, classes)] + ([ref_extra] if extra else []), 1)

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
