"""SEMIT's octave convolution: the alpha mask and the three positions."""

from __future__ import annotations

import pytest
import torch

from ganforge_semit.octave import OctConv, OctResBlock, octave_mask


@pytest.mark.parametrize("alpha, high_channels", [(0.0, 8), (0.25, 6), (0.5, 4), (1.0, 0)])
def test_mask_splits_channels_by_alpha(alpha, high_channels):
    high, low = octave_mask(torch.ones(2, 8, 4, 4), torch.ones(2, 8, 2, 2), alpha)
    kept_high = high.abs().sum((0, 2, 3)) > 0
    kept_low = low.abs().sum((0, 2, 3)) > 0
    assert kept_high.tolist() == [True] * high_channels + [False] * (8 - high_channels)
    assert (kept_low == ~kept_high).all()  # every channel lives in exactly one branch


def test_positions_and_resolutions():
    torch.manual_seed(0)
    x = torch.randn(2, 3, 16, 16)
    first = OctConv(3, 8, 7, 1, 3, "first")
    h, l = first(x, 0.5)
    assert h.shape == (2, 8, 16, 16) and l.shape == (2, 8, 8, 8)
    down = OctConv(8, 16, 4, 2, 1)
    h2, l2 = down((h, l), 0.5)
    assert h2.shape == (2, 16, 8, 8) and l2.shape == (2, 16, 4, 4)
    last = OctConv(16, 3, 3, 1, 1, "last")
    y = last((h2, l2), 0.5)
    assert y.shape == (2, 3, 8, 8)
    # 'last' adds the upsampled, convolved low branch to the high one
    expected = last.convh(h2) + last.convl(torch.nn.functional.interpolate(l2, scale_factor=2))
    assert torch.allclose(y, expected, atol=1e-6)
    assert sum(p.numel() for p in down.parameters()) == 4 * 16 * 8 * 16  # four bias-free paths


def test_first_layer_low_branch_sees_the_pooled_image():
    conv = OctConv(3, 4, 3, 1, 1, "first")
    x = torch.randn(1, 3, 8, 8)
    _, low = conv(x, 1.0)  # alpha 1: every channel is low-frequency
    assert torch.allclose(low, conv.convl(torch.nn.functional.avg_pool2d(x, 2)), atol=1e-6)


def test_residual_block_keeps_shapes_and_adds_the_input():
    block = OctResBlock(8, "in")
    x = (torch.randn(2, 8, 8, 8), torch.randn(2, 8, 4, 4))
    with torch.no_grad():
        for p in block.parameters():
            p.zero_()
    y = block(x, 0.5)
    assert torch.equal(y[0], x[0]) and torch.equal(y[1], x[1])
