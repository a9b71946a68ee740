"""`ganforge.pooled_conv`: avg_pool2d(conv3x3(x), 2) as one stride-2 conv, the same values."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from ganforge.pooled_conv import MIN_SIDE, box_kernel, conv_avg_pool, strided_form_applies


def two_ops(conv, x):
    return F.avg_pool2d(conv(x), 2)


def assert_noise_close(a, b, scale=1e-5):
    """Equal up to fp32 summation order: within ``scale`` of the larger magnitude
    (a weight gradient sums thousands of products; its rounding grows with the sum)."""
    torch.testing.assert_close(a, b, rtol=0, atol=scale * float(b.detach().abs().max()))


@pytest.mark.parametrize("bias", [True, False])
def test_equals_conv_then_pool_with_gradients(bias):
    torch.manual_seed(0)
    conv = nn.Conv2d(5, 6, 3, 1, 1, bias=bias)
    x = torch.randn(2, 5, MIN_SIDE, MIN_SIDE + 2, requires_grad=True)
    assert strided_form_applies(conv, x)
    g = torch.randn(2, 6, MIN_SIDE // 2, MIN_SIDE // 2 + 1)
    params = [x, *conv.parameters()]
    out = conv_avg_pool(conv, x)
    ref = two_ops(conv, x)
    assert_noise_close(out, ref)  # borders included (zero padding)
    for a, b in zip(torch.autograd.grad(out, params, g), torch.autograd.grad(ref, params, g)):
        assert_noise_close(a, b)
    # second order (R1's double backward): the gradient of a gradient norm agrees too
    gx = torch.autograd.grad(conv_avg_pool(conv, x).square().sum(), x, create_graph=True)[0]
    gx_ref = torch.autograd.grad(two_ops(conv, x).square().sum(), x, create_graph=True)[0]
    for a, b in zip(torch.autograd.grad(gx.square().sum(), conv.weight), torch.autograd.grad(gx_ref.square().sum(), conv.weight)):
        assert_noise_close(a, b)


def test_box_kernel_is_the_pooled_impulse_response():
    w = torch.randn(1, 1, 3, 3, dtype=torch.float64)
    k = box_kernel(w)
    assert k.shape == (1, 1, 4, 4)
    assert torch.allclose(k.sum(), w.sum())  # each tap lands in four of the 16, divided by 4


def test_small_maps_and_other_convs_keep_the_two_op_form():
    conv = nn.Conv2d(3, 3, 3, 1, 1)
    assert not strided_form_applies(conv, torch.zeros(1, 3, MIN_SIDE // 2, MIN_SIDE // 2))
    assert not strided_form_applies(conv, torch.zeros(1, 3, MIN_SIDE + 1, MIN_SIDE + 1))  # odd: pooling floors
    assert not strided_form_applies(nn.Conv2d(3, 3, 3, 1, 1, padding_mode="reflect"), torch.zeros(1, 3, 64, 64))
    assert not strided_form_applies(nn.Conv2d(3, 3, 5, 1, 2), torch.zeros(1, 3, 64, 64))
    x = torch.randn(1, 3, 16, 16)
    assert torch.equal(conv_avg_pool(conv, x), two_ops(conv, x))
