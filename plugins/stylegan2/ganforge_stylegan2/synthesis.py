"""The synthesis network g: W+ -> image, config-f "skip" architecture (paper Sec. 2-4).

* Modulated convolution (Eq. 1-3): the style s = A(w) scales the weight's input channels,
  w'_ijk = s_i w_ijk; demodulation w''_ijk = w'_ijk / sqrt(sum_ik w'_ijk^2 + eps) restores
  unit output variance, replacing AdaIN's data-dependent normalisation (no droplets).
* Noise B(n) is added after each convolution with a learned per-layer strength, then the
  bias and the activation (bias and noise moved outside the style block, Fig. 2c). The
  maps are drawn at each call, or, with ``fixed_noise``, held as buffers (rosinality's
  ``noises.noise_<i>``) and used in eval mode (its ``randomize_noise=False``).
* Skip generator (Fig. 7b): every resolution's features go through a 1x1 modulated
  (non-demodulated) tRGB, whose output is added to the upsampled image so far.

Layer order and w indices follow the official code: ``b4.conv`` reads w_0, ``b4``'s tRGB and
``b8.conv0`` read w_1, ``b8.conv1`` w_2, ``b8``'s tRGB and ``b16.conv0`` w_3, ...
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ganforge.capabilities import ActivationEdit

from .layers import EqualLinear, bias_lrelu, fir_filter, fir_kernel, upsample_2x


class ModulatedConv2d(nn.Module):
    """Eq. 1-3 as one grouped convolution over the batch; ``up`` is a stride-2 transposed
    convolution followed by the [1,3,3,1] blur."""

    def __init__(self, in_ch: int, out_ch: int, kernel_size: int, w_dim: int, demodulate: bool = True,
                 up: bool = False, blur_kernel: Sequence[float] = (1, 3, 3, 1)):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_ch, in_ch, kernel_size, kernel_size))
        self.affine = EqualLinear(w_dim, in_ch, bias_init=1.0)  # "A": styles start at 1
        self.scale = 1 / math.sqrt(in_ch * kernel_size ** 2)
        self.demodulate = demodulate
        self.up = up
        if up:
            self.register_buffer("blur_kernel", fir_kernel(blur_kernel, gain=4.0), persistent=False)
            p = len(blur_kernel) - 2 - (kernel_size - 1)
            self.blur_pad = ((p + 1) // 2 + 1, p // 2 + 1)

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        b, in_ch, h, wd = x.shape
        out_ch, _, k, _ = self.weight.shape
        s = self.affine(w)
        weight = self.weight[None] * self.scale * s[:, None, :, None, None]  # (B, out, in, k, k)
        if self.demodulate:
            weight = weight * torch.rsqrt(weight.square().sum(dim=(2, 3, 4), keepdim=True) + 1e-8)
        x = x.reshape(1, b * in_ch, h, wd)
        if self.up:
            weight = weight.transpose(1, 2).reshape(b * in_ch, out_ch, k, k)
            x = F.conv_transpose2d(x, weight, stride=2, groups=b)
            x = fir_filter(x.reshape(b, out_ch, *x.shape[-2:]), self.blur_kernel, self.blur_pad)
            return x
        x = F.conv2d(x, weight.reshape(b * out_ch, in_ch, k, k), padding=k // 2, groups=b)
        return x.reshape(b, out_ch, h, wd)


class StyledConv(nn.Module):
    """Modulated 3x3 conv, + noise strength * n, + bias, leaky ReLU."""

    def __init__(self, in_ch: int, out_ch: int, w_dim: int, up: bool, blur_kernel: Sequence[float]):
        super().__init__()
        self.conv = ModulatedConv2d(in_ch, out_ch, 3, w_dim, up=up, blur_kernel=blur_kernel)
        self.noise_strength = nn.Parameter(torch.zeros(1))
        self.bias = nn.Parameter(torch.zeros(out_ch))

    def forward(self, x: torch.Tensor, w: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        return bias_lrelu(self.conv(x, w) + self.noise_strength * noise, self.bias)


class ToRGB(nn.Module):
    """tRGB: 1x1 modulated conv without demodulation, plus bias; no activation."""

    def __init__(self, in_ch: int, out_ch: int, w_dim: int):
        super().__init__()
        self.conv = ModulatedConv2d(in_ch, out_ch, 1, w_dim, demodulate=False)
        self.bias = nn.Parameter(torch.zeros(out_ch))

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        return self.conv(x, w) + self.bias.view(1, -1, 1, 1)


class SynthesisBlock(nn.Module):
    """One resolution: (upsampling conv0), conv1, tRGB. The 4x4 block starts from a learned
    constant and has a single conv."""

    def __init__(self, in_ch: int, out_ch: int, resolution: int, w_dim: int, img_channels: int,
                 blur_kernel: Sequence[float]):
        super().__init__()
        self.resolution = resolution
        if resolution == 4:
            self.const = nn.Parameter(torch.randn(out_ch, 4, 4))
            self.convs = nn.ModuleList([StyledConv(out_ch, out_ch, w_dim, False, blur_kernel)])
        else:
            self.convs = nn.ModuleList([StyledConv(in_ch, out_ch, w_dim, True, blur_kernel),
                                        StyledConv(out_ch, out_ch, w_dim, False, blur_kernel)])
        self.torgb = ToRGB(out_ch, img_channels, w_dim)

    @property
    def layer_names(self) -> list[str]:
        if self.resolution == 4:
            return ["b4.conv"]
        return [f"b{self.resolution}.conv{i}" for i in range(2)]


class SynthesisNetwork(nn.Module):
    """Blocks from 4x4 to the output resolution; channels(res) = min(channel_max,
    channel_base // res) (config-f: 512 up to 64 px, then halving)."""

    def __init__(self, resolution: int, w_dim: int, img_channels: int, channel_base: int, channel_max: int,
                 blur_kernel: Sequence[float], fixed_noise: bool = False):
        super().__init__()
        log2 = int(math.log2(resolution))
        self.resolutions = [2 ** i for i in range(2, log2 + 1)]
        channels = {r: min(channel_max, channel_base // r) for r in self.resolutions}
        self.blocks = nn.ModuleList(
            SynthesisBlock(channels[max(r // 2, 4)], channels[r], r, w_dim, img_channels, blur_kernel)
            for r in self.resolutions)
        self.register_buffer("up_kernel", fir_kernel(blur_kernel, gain=4.0), persistent=False)
        self.num_ws = 2 * log2 - 2
        self.fixed_noise = fixed_noise
        if fixed_noise:  # rosinality's noises.noise_<i>: one map per conv layer, shared by the batch
            for i, shape in enumerate(self.noise_shapes()):
                self.register_buffer(f"noise_{i}", torch.randn(1, *shape))

    def noise_shapes(self) -> list[tuple[int, int, int]]:
        return [(1, r, r) for r in self.resolutions for _ in range(1 if r == 4 else 2)]

    def noise_maps(self) -> list[torch.Tensor]:
        """The fixed noise maps, (1, 1, r, r) each (generator param ``noise: fixed``)."""
        if not self.fixed_noise:
            raise ValueError("stylegan2 synthesis: this generator holds no fixed noise maps (noise: random)")
        return [getattr(self, f"noise_{i}") for i in range(len(self.noise_shapes()))]

    def activation_names(self) -> list[str]:
        return [name for block in self.blocks for name in block.layer_names]

    def forward(self, ws: torch.Tensor, noise: list[torch.Tensor] | None = None,
                edit: ActivationEdit | None = None) -> torch.Tensor:
        b = ws.shape[0]
        shapes = self.noise_shapes()
        if noise is None and self.fixed_noise and not self.training:
            noise = self.noise_maps()
        elif noise is None:
            noise = [ws.new_empty(b, *s).normal_() for s in shapes]
        elif len(noise) != len(shapes):
            raise ValueError(f"stylegan2 synthesis: expected {len(shapes)} noise tensors of shapes {shapes}, "
                             f"got {len(noise)}")
        x = img = None
        layer = 0  # index into noise / names; w index of the layer's conv
        for block in self.blocks:
            if x is None:
                x = block.const[None].expand(b, -1, -1, -1)
            for conv, name in zip(block.convs, block.layer_names):
                x = conv(x, ws[:, layer], noise[layer])
                if edit is not None:
                    x = edit(name, x)
                layer += 1
            rgb = block.torgb(x, ws[:, layer])
            img = rgb if img is None else upsample_2x(img, self.up_kernel) + rgb
        return img
