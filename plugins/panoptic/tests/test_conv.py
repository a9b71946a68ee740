"""The panoptic-aware partial convolution (Sec. 3.1) against its definition."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from ganforge_panoptic.conv import PanopticConv2d, panoptic_conv, panoptic_conv2d, window_masks
from ganforge_spade.layers import InitParams, conv2d


def definition(x, ids, weight, bias):
    """x'(p) = W^T (X * M) sum(1) / sum(M) + b, one window at a time (float64 loops)."""
    o, c, k, _ = weight.shape
    b, _, h, w = x.shape
    r = k // 2
    out = torch.zeros(b, o, h, w, dtype=torch.float64)
    for n in range(b):
        for y in range(h):
            for x0 in range(w):
                acc, hits = torch.zeros(o, dtype=torch.float64), 0
                for dy in range(-r, r + 1):
                    for dx in range(-r, r + 1):
                        yy, xx = y + dy, x0 + dx
                        if 0 <= yy < h and 0 <= xx < w and ids[n, yy, xx] == ids[n, y, x0]:
                            acc += weight[:, :, dy + r, dx + r].double() @ x[n, :, yy, xx].double()
                            hits += 1
                out[n, :, y, x0] = acc * (k * k) / hits + bias.double()
    return out


@pytest.mark.parametrize("size, block, dense", [(8, 1, True), (24, 8, False)])
def test_equals_the_definition(size, block, dense):
    """Pixel-sized segments (every window partial: the dense path) and 8x8 blocks (thin
    boundary bands: the sparse path)."""
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(2, 3, size, size, generator=gen, dtype=torch.float64)
    weight = torch.randn(4, 3, 3, 3, generator=gen, dtype=torch.float64)
    bias = torch.randn(4, generator=gen, dtype=torch.float64)
    ids = torch.randint(0, 3, (2, size // block, size // block), generator=gen)
    ids = ids.repeat_interleave(block, 1).repeat_interleave(block, 2)
    assert ((~window_masks(ids, (3, 3))).any(1).float().mean() > 0.5) == dense
    out = panoptic_conv2d(x, ids, weight, bias)
    torch.testing.assert_close(out, definition(x, ids, weight, bias))


def test_both_paths_agree_in_value_and_gradient():
    """Sparse (plain conv fixed up at the boundary band) and dense (unfold) give the same
    outputs and gradients: the path is chosen by cost only."""
    from ganforge_panoptic.conv import _dense, _sparse

    gen = torch.Generator().manual_seed(1)
    x = torch.randn(2, 5, 16, 16, generator=gen, dtype=torch.float64, requires_grad=True)
    weight = torch.randn(3, 5, 3, 3, generator=gen, dtype=torch.float64, requires_grad=True)
    bias = torch.randn(3, generator=gen, dtype=torch.float64, requires_grad=True)
    ids = torch.randint(0, 4, (2, 4, 4), generator=gen).repeat_interleave(4, 1).repeat_interleave(4, 2)
    mask = window_masks(ids, (3, 3))
    a, b = _dense(x, mask, weight, bias), _sparse(x, mask, (~mask).any(1), weight, bias)
    torch.testing.assert_close(a, b)
    grads = [torch.autograd.grad((out * torch.linspace(-1, 1, out.numel(), dtype=torch.float64).view_as(out)).sum(),
                                 (x, weight, bias)) for out in (a, b)]
    for ga, gb in zip(*grads):
        torch.testing.assert_close(ga, gb)


def test_one_segment_is_the_plain_conv_inside_and_renormalised_at_the_border():
    gen = torch.Generator().manual_seed(2)
    x = torch.randn(1, 2, 6, 6, generator=gen)
    weight, bias = torch.randn(3, 2, 3, 3, generator=gen), torch.randn(3, generator=gen)
    out = panoptic_conv2d(x, torch.zeros(1, 6, 6, dtype=torch.long), weight, bias)
    plain = F.conv2d(x, weight, bias, padding=1)
    torch.testing.assert_close(out[..., 1:-1, 1:-1], plain[..., 1:-1, 1:-1])
    # a corner window has 4 of its 9 taps inside the image: the zero-padded sum scaled by 9/4
    torch.testing.assert_close(out[..., 0, 0], (plain[..., 0, 0] - bias) * 9 / 4 + bias)


def test_features_never_cross_into_another_instance_of_the_same_class(scene):
    """Changing the features of the right instance leaves the left one's outputs unchanged
    (a plain conv leaks across their common boundary)."""
    cond = scene(1, 16)
    ids = cond["panoptic"]
    right = (cond["instance"] == 2).unsqueeze(1)
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(1, 2, 16, 16, generator=gen)
    weight, bias = torch.randn(2, 2, 3, 3, generator=gen), torch.zeros(2)
    changed = torch.where(right, x + 5, x)
    left = (cond["instance"] == 1).unsqueeze(1).expand(1, 2, 16, 16)
    a, b = panoptic_conv2d(x, ids, weight, bias), panoptic_conv2d(changed, ids, weight, bias)
    assert torch.equal(a[left], b[left])
    plain_a, plain_b = F.conv2d(x, weight, padding=1), F.conv2d(changed, weight, padding=1)
    assert not torch.allclose(plain_a[left], plain_b[left])


def test_bad_kernels_and_maps_are_errors():
    x, ids = torch.randn(1, 2, 8, 8), torch.zeros(1, 8, 8, dtype=torch.long)
    with pytest.raises(ValueError, match="odd kernel"):
        panoptic_conv2d(x, ids, torch.randn(2, 2, 2, 2), None)
    with pytest.raises(ValueError, match=r"ids \(1, 4, 4\) do not match features"):
        panoptic_conv2d(x, ids[:, :4, :4], torch.randn(2, 2, 3, 3), None)


def test_same_parameters_and_keys_as_spades_conv():
    """A panoptic-aware conv is a Conv2d applied differently: SPADE's initialisation,
    spectral norm and state_dict keys, so SPADE weights load into it."""
    init = InitParams()
    torch.manual_seed(0)
    ours = panoptic_conv(4, 6, 3, spectral=True, init=init)
    torch.manual_seed(0)
    spade = conv2d(4, 6, 3, padding=1, spectral=True, init=init)
    assert isinstance(ours, PanopticConv2d)
    assert {k: v.shape for k, v in ours.state_dict().items()} == {k: v.shape for k, v in spade.state_dict().items()}
    torch.testing.assert_close(ours.weight, spade.weight)
    assert torch.equal(ours.bias, torch.zeros(6))
