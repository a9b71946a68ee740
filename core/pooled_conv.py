"""A 3x3 convolution followed by 2x average pooling, computed as one stride-2 convolution.

``avg_pool2d(conv3x3(x), 2)`` (padding 1, stride 1: the downsampling residual blocks of
StarGAN v2's discriminator, style encoder and generator) is linear in ``x``: each output
pixel averages four 3x3 windows, which together cover a 4x4 window starting one pixel
before it. So it equals ``conv2d(x, K, stride=2, padding=1)`` with ``K`` the 3x3 kernel
box-filtered to 4x4 (the sum of its four one-pixel shifts, divided by 4); the bias
passes through the average unchanged and zero padding reads the same zeros. That is
16 instead of 4 x 9 = 36 multiply-adds per output pixel and channel pair: the official
code never takes this shortcut. The result equals the two-op form up to fp32 summation
order (both are about 1e-6 of the output's magnitude from a float64 reference), and the
weight gradient reaches the 3x3 kernel through ``K``, so parameters and checkpoints are
unchanged.

On this CPU (one thread, AVX2) the strided form is 0.5-0.7x the time of the two-op form
(forward + backward) where the input's side is 64 or more, and slower on small maps
(1.3-4.5x at 32 to 8 with batch 1-2), so it is used from ``MIN_SIDE`` up, and on the CPU
only (GPUs are unmeasured; their 3x3 kernels are Winograd-fast).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

MIN_SIDE = 64


def box_kernel(weight: torch.Tensor) -> torch.Tensor:
    """(O, I, 3, 3) -> (O, I, 4, 4): the kernel of the conv, then a 2x2 average pool."""
    return (F.pad(weight, (0, 1, 0, 1)) + F.pad(weight, (1, 0, 0, 1)) + F.pad(weight, (0, 1, 1, 0))
            + F.pad(weight, (1, 0, 1, 0))) / 4


def strided_form_applies(conv: nn.Conv2d, x: torch.Tensor) -> bool:
    """Whether `conv_avg_pool` takes the one-conv form for ``x`` (see the module docstring)."""
    h, w = x.shape[-2:]
    return (x.device.type == "cpu" and min(h, w) >= MIN_SIDE and h % 2 == 0 and w % 2 == 0
            and conv.kernel_size == (3, 3) and conv.stride == (1, 1) and conv.padding == (1, 1)
            and conv.dilation == (1, 1) and conv.groups == 1 and conv.padding_mode == "zeros")


def conv_avg_pool(conv: nn.Conv2d, x: torch.Tensor) -> torch.Tensor:
    """``F.avg_pool2d(conv(x), 2)``, as one stride-2 4x4 conv where that is faster."""
    if strided_form_applies(conv, x):
        return F.conv2d(x, box_kernel(conv.weight), conv.bias, stride=2, padding=1)
    return F.avg_pool2d(conv(x), 2)
