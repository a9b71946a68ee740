"""A 3x3 convolution next to a 2x resampling, computed as one strided convolution.

Both are linear in ``x``, so each pair is exactly one convolution with a derived kernel
(the official codes never take these shortcuts):

- ``avg_pool2d(conv3x3(x), 2)`` (StarGAN v2's downsampling residual blocks): each output
  pixel averages four 3x3 windows, which together cover a 4x4 window starting one pixel
  before it, so it is ``conv2d(x, K, stride=2, padding=1)`` with ``K`` the 3x3 kernel
  box-filtered to 4x4. 16 instead of 4 x 9 = 36 multiply-adds per output pixel and
  channel pair.
- ``conv3x3(interpolate(x, 2, nearest))`` (StarGAN v2's upsampling residual blocks): each
  output pixel's 3x3 window reads only 2x2 distinct input pixels, so it is
  ``conv_transpose2d(x, K, stride=2, padding=1)`` with ``K`` (4x4) holding, per axis,
  ``[w2, w1 + w2, w0 + w1, w0]``. 4 instead of 9 multiply-adds per output pixel.

The bias passes through unchanged and the zero padding reads the same zeros, so the
results equal the two-op forms up to fp32 summation order (against a float64 reference
both are within a few 1e-6 of the output's magnitude; the transposed form is the closer
one), and the weight gradient reaches the 3x3 kernel through ``K``: parameters and
checkpoints are unchanged.

Where they are used (measured on this CPU, one thread, AVX2, forward + backward, strided
form / two-op form; docs/benchmarks.md): pooling from an input side of ``MIN_SIDE_POOL``
(0.5-0.7x at sides 256-64; 1.3-4.5x *slower* at 32-8), upsampling from an input side of
``MIN_SIDE_UP`` (0.46-0.63x at input sides 128-16 with batch 2, 0.9x at 16 with batch 1;
1.3x slower at 8). On the CPU only: GPUs are unmeasured, and their 3x3 kernels are
Winograd-fast.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

MIN_SIDE_POOL = 64
MIN_SIDE_UP = 16


def plain_3x3(conv: nn.Conv2d) -> bool:
    """A 3x3, stride-1, zero-padding-1 conv without dilation or groups."""
    return (conv.kernel_size == (3, 3) and conv.stride == (1, 1) and conv.padding == (1, 1)
            and conv.dilation == (1, 1) and conv.groups == 1 and conv.padding_mode == "zeros")


def pool_kernel(weight: torch.Tensor) -> torch.Tensor:
    """(O, I, 3, 3) -> (O, I, 4, 4): the kernel of the conv, then a 2x2 average pool."""
    return (F.pad(weight, (0, 1, 0, 1)) + F.pad(weight, (1, 0, 0, 1)) + F.pad(weight, (0, 1, 1, 0))
            + F.pad(weight, (1, 0, 1, 0))) / 4


def upsample_kernel(weight: torch.Tensor) -> torch.Tensor:
    """(O, I, 3, 3) -> (I, O, 4, 4): the transposed-conv kernel of 2x nearest upsampling, then the conv."""
    def along(w: torch.Tensor, dim: int) -> torch.Tensor:
        w0, w1, w2 = w.unbind(dim)
        return torch.stack([w2, w1 + w2, w0 + w1, w0], dim)

    return along(along(weight, 2), 3).transpose(0, 1)


def strided_pool_applies(conv: nn.Conv2d, x: torch.Tensor) -> bool:
    h, w = x.shape[-2:]
    return x.device.type == "cpu" and min(h, w) >= MIN_SIDE_POOL and h % 2 == 0 and w % 2 == 0 and plain_3x3(conv)


def transposed_up_applies(conv: nn.Conv2d, x: torch.Tensor) -> bool:
    return x.device.type == "cpu" and min(x.shape[-2:]) >= MIN_SIDE_UP and plain_3x3(conv)


def conv_avg_pool(conv: nn.Conv2d, x: torch.Tensor) -> torch.Tensor:
    """``F.avg_pool2d(conv(x), 2)``, as one stride-2 4x4 conv where that is faster."""
    if strided_pool_applies(conv, x):
        return F.conv2d(x, pool_kernel(conv.weight), conv.bias, stride=2, padding=1)
    return F.avg_pool2d(conv(x), 2)


def upsample_conv(conv: nn.Conv2d, x: torch.Tensor) -> torch.Tensor:
    """``conv(F.interpolate(x, scale_factor=2, mode="nearest"))``, as one stride-2
    transposed conv where that is faster."""
    if transposed_up_applies(conv, x):
        return F.conv_transpose2d(x, upsample_kernel(conv.weight), conv.bias, stride=2, padding=1)
    return conv(F.interpolate(x, scale_factor=2, mode="nearest"))
