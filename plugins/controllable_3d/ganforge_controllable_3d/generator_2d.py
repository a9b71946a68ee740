"""The 2D generator (official models/generator_2d.py): a ResNet that maps one rendered layer
(features, alpha, depth) to RGB, alpha and depth. ``nlayers`` residual blocks starting at
width ``nfilter``; a stride-2 conv doubling the width (up to ``nfilter_max``) after each of
the first ``down_sample`` blocks and a transposed conv halving it after the middle,
BatchNorm on those resamplers. Inside the blocks the official
code uses AdaIN from a style MLP; here that is the ``norm`` slot fed with ``cond['style']``,
so other papers' conditional normalizers drop in."""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from ganforge import Condition

NormFactory = Callable[[int], nn.Module]


class ResnetBlock(nn.Module):
    """GAN-stability ResNet block, conv -> norm twice, shortcut 0.1-scaled residual."""

    def __init__(self, channels: int, make_norm: NormFactory):
        super().__init__()
        self.conv_0, self.norm_0 = nn.Conv2d(channels, channels, 3, padding=1), make_norm(channels)
        self.conv_1, self.norm_1 = nn.Conv2d(channels, channels, 3, padding=1), make_norm(channels)

    def forward(self, x: torch.Tensor, cond: Condition) -> torch.Tensor:
        dx = self.norm_0(self.conv_0(F.leaky_relu(x, 0.2)), cond)
        dx = self.norm_1(self.conv_1(F.leaky_relu(dx, 0.2)), cond)
        return x + 0.1 * dx


def resample(fin: int, fout: int, down: bool) -> nn.Sequential:
    conv = nn.Conv2d if down else nn.ConvTranspose2d
    return nn.Sequential(conv(fin, fout, 4, stride=2, padding=1), nn.BatchNorm2d(fout), nn.LeakyReLU(0.2))


class Generator2D(nn.Module):
    """(L, C_in, S, S) layers + cond with per-layer ``style`` -> (L, 5, S, S): rgb, alpha, depth."""

    def __init__(self, in_channels: int, nfilter: int, nfilter_max: int, nlayers: int, down_sample: int,
                 make_norm: NormFactory):
        super().__init__()
        if down_sample and (nlayers % 2 or down_sample >= nlayers / 2):
            raise ValueError(f"down_sample {down_sample} needs an even nlayers > 2*down_sample, got {nlayers}")
        self.conv_img_in = nn.Conv2d(in_channels, nfilter, 3, padding=1)
        self.blocks, self.resamplers = nn.ModuleList(), nn.ModuleDict()
        width = nfilter
        for i in range(nlayers):
            self.blocks.append(ResnetBlock(width, make_norm))
            if i < down_sample:  # widths double on the way down (capped), halve on the way up
                self.resamplers[str(i)] = resample(width, min(2 * width, nfilter_max), down=True)
                width = min(2 * width, nfilter_max)
            elif nlayers / 2 <= i < nlayers / 2 + down_sample:
                self.resamplers[str(i)] = resample(width, max(width // 2, nfilter), down=False)
                width = max(width // 2, nfilter)
        self.conv_img = nn.Conv2d(width, 5, 3, padding=1)

    def forward(self, x: torch.Tensor, cond: Condition) -> torch.Tensor:
        x = self.conv_img_in(x)
        for i, block in enumerate(self.blocks):
            x = block(x, cond)
            if str(i) in self.resamplers:
                x = self.resamplers[str(i)](x)
        return self.conv_img(F.leaky_relu(x, 0.2))
