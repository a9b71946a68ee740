"""`ganforge.resample_conv`: a 3x3 conv next to a 2x resampling as one strided conv, the same values."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from ganforge.resample_conv import (MIN_SIDE_POOL, MIN_SIDE_UP, conv_avg_pool, pool_kernel, strided_pool_applies,
                                    transposed_up_applies, upsample_conv)


def pool_two_ops(conv, x):
    return F.avg_pool2d(conv(x), 2)


def up_two_ops(conv, x):
    return conv(F.interpolate(x, scale_factor=2, mode="nearest"))


def assert_noise_close(a, b, scale=1e-5):
    """Equal up to fp32 summation order: within ``scale`` of the larger magnitude
    (a weight gradient sums thousands of products; its rounding grows with the sum)."""
    torch.testing.assert_close(a, b, rtol=0, atol=scale * float(b.detach().abs().max()))


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("fast, two_ops, side, applies", [
    (conv_avg_pool, pool_two_ops, MIN_SIDE_POOL, strided_pool_applies),
    (upsample_conv, up_two_ops, MIN_SIDE_UP, transposed_up_applies)])
def test_equals_the_two_op_form_with_gradients(bias, fast, two_ops, side, applies):
    torch.manual_seed(0)
    conv = nn.Conv2d(5, 6, 3, 1, 1, bias=bias)
    x = torch.randn(2, 5, side, side + 2, requires_grad=True)
    assert applies(conv, x)
    params = [x, *conv.parameters()]
    out, ref = fast(conv, x), two_ops(conv, x)
    assert out.shape == ref.shape
    assert_noise_close(out, ref)  # borders included (zero padding)
    g = torch.randn_like(ref)
    for a, b in zip(torch.autograd.grad(out, params, g), torch.autograd.grad(ref, params, g)):
        assert_noise_close(a, b)
    # second order (R1's double backward): the gradient of a gradient norm agrees too
    gx = torch.autograd.grad(fast(conv, x).square().sum(), x, create_graph=True)[0]
    gx_ref = torch.autograd.grad(two_ops(conv, x).square().sum(), x, create_graph=True)[0]
    for a, b in zip(torch.autograd.grad(gx.square().sum(), conv.weight),
                    torch.autograd.grad(gx_ref.square().sum(), conv.weight)):
        assert_noise_close(a, b)


def test_pool_kernel_spreads_each_tap_over_four():
    w = torch.randn(1, 1, 3, 3, dtype=torch.float64)
    k = pool_kernel(w)
    assert k.shape == (1, 1, 4, 4)
    assert torch.allclose(k.sum(), w.sum())  # each tap lands in four of the 16, divided by 4


def test_small_maps_and_other_convs_keep_the_two_op_form():
    conv = nn.Conv2d(3, 3, 3, 1, 1)
    assert not strided_pool_applies(conv, torch.zeros(1, 3, MIN_SIDE_POOL // 2, MIN_SIDE_POOL // 2))
    assert not strided_pool_applies(conv, torch.zeros(1, 3, MIN_SIDE_POOL + 1, MIN_SIDE_POOL + 1))  # pooling floors
    assert not transposed_up_applies(conv, torch.zeros(1, 3, MIN_SIDE_UP // 2, MIN_SIDE_UP // 2))
    for other in (nn.Conv2d(3, 3, 3, 1, 1, padding_mode="reflect"), nn.Conv2d(3, 3, 5, 1, 2), nn.Conv2d(3, 3, 3, 2, 1)):
        assert not strided_pool_applies(other, torch.zeros(1, 3, 64, 64))
        assert not transposed_up_applies(other, torch.zeros(1, 3, 64, 64))
    x = torch.randn(1, 3, 8, 8)
    assert torch.equal(conv_avg_pool(conv, x), pool_two_ops(conv, x))
    assert torch.equal(upsample_conv(conv, x), up_two_ops(conv, x))
