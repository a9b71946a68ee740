"""Building blocks shared by StyleGAN2's networks.

* Equalized learning rate (ProGAN, kept by StyleGAN2): weights are stored as N(0, 1) /
  lr_mul and scaled by ``lr_mul / sqrt(fan_in)`` at run time, so Adam's per-parameter
  step sizes are equal for every layer; ``lr_mul = 0.01`` slows the mapping network.
* Leaky ReLU (slope 0.2) with its bias added first and a gain of sqrt(2) that keeps the
  signal's magnitude (the official ``fused_lrelu``).
* FIR filtering with the binomial kernel [1, 3, 3, 1] around every up/downsampling
  (anti-aliasing, "Making convolutional networks shift-invariant again").
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

LRELU_GAIN = math.sqrt(2.0)


def fir_kernel(taps: Sequence[float], gain: float = 1.0) -> torch.Tensor:
    """The separable 2-D kernel outer(k, k), normalised to sum to ``gain``."""
    k = torch.tensor(taps, dtype=torch.float32)
    k = torch.outer(k, k)
    return k * (gain / k.sum())


def fir_filter(x: torch.Tensor, kernel: torch.Tensor, pad: tuple[int, int]) -> torch.Tensor:
    """Pad each side by (before, after), then filter every channel with ``kernel``."""
    c = x.shape[1]
    x = F.pad(x, (pad[0], pad[1], pad[0], pad[1]))
    weight = kernel.flip(0, 1).to(x.dtype).expand(c, 1, *kernel.shape)
    return F.conv2d(x, weight, groups=c)


def upsample_2x(x: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """Zero-insertion upsampling followed by the FIR filter (``kernel`` sums to 4)."""
    b, c, h, w = x.shape
    up = x.new_zeros(b, c, 2 * h, 2 * w)
    up[:, :, ::2, ::2] = x
    p = kernel.shape[0] - 2
    return fir_filter(up, kernel, ((p + 1) // 2 + 1, p // 2))


def bias_lrelu(x: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    """``sqrt(2) * leaky_relu(x + b, 0.2)`` with ``b`` broadcast over channels."""
    if bias is not None:
        x = x + bias.view(1, -1, *([1] * (x.ndim - 2)))
    return F.leaky_relu(x, 0.2) * LRELU_GAIN


class EqualLinear(nn.Module):
    """Fully connected layer with equalized learning rate and optional fused activation."""

    def __init__(self, in_dim: int, out_dim: int, bias_init: float = 0.0, lr_mul: float = 1.0,
                 activate: bool = False):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_dim, in_dim) / lr_mul)
        self.bias = nn.Parameter(torch.full((out_dim,), float(bias_init)))
        self.scale = lr_mul / math.sqrt(in_dim)
        self.lr_mul = lr_mul
        self.activate = activate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        bias = self.bias * self.lr_mul
        if self.activate:
            return bias_lrelu(F.linear(x, self.weight * self.scale), bias)
        return F.linear(x, self.weight * self.scale, bias)


class EqualConv2d(nn.Module):
    """Convolution with equalized learning rate; ``down`` blurs then strides by 2 (the
    discriminator's downsampling), an activation adds its bias inside the leaky ReLU."""

    def __init__(self, in_ch: int, out_ch: int, kernel_size: int, down: bool = False, bias: bool = True,
                 activate: bool = True, blur_kernel: Sequence[float] = (1, 3, 3, 1)):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_ch, in_ch, kernel_size, kernel_size))
        self.bias = nn.Parameter(torch.zeros(out_ch)) if bias else None
        self.scale = 1 / math.sqrt(in_ch * kernel_size ** 2)
        self.down = down
        self.activate = activate
        if down:
            self.register_buffer("blur_kernel", fir_kernel(blur_kernel), persistent=False)
            p = len(blur_kernel) - 2 + kernel_size - 1
            self.blur_pad = ((p + 1) // 2, p // 2)
        self.padding = 0 if down else kernel_size // 2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        stride = 1
        if self.down:
            x = fir_filter(x, self.blur_kernel, self.blur_pad)
            stride = 2
        x = F.conv2d(x, self.weight * self.scale, stride=stride, padding=self.padding)
        if self.activate:
            return bias_lrelu(x, self.bias)
        return x if self.bias is None else x + self.bias.view(1, -1, 1, 1)
