"""Building blocks of CoCosNet's networks: positional normalization, the reflection-padded
SPADE residual block, the self-attention block of the generator and discriminator, and the
residual blocks of the correspondence network. Every conv is initialised as SPADE does
(xavier, gain 0.02) through ``ganforge_spade.layers``."""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from ganforge_spade.layers import InitParams, conv2d

Norm = Callable[[torch.Tensor, object], torch.Tensor]


class PositionalNorm2d(nn.Module):
    """PONO (Li et al. 2019): normalise each position over its channels; the official
    ``--PONO`` used in every released CoCosNet model instead of batch norm."""

    def __init__(self, eps: float = 1e-5):
        super().__init__()
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mean = x.mean(dim=1, keepdim=True)
        return (x - mean) / x.var(dim=1, keepdim=True).add(self.eps).sqrt()


class SPADEResnetBlock(nn.Module):
    """SPADE's residual block as CoCosNet writes it: reflection padding before each 3x3
    conv; ``make_norm(channels)`` builds the conditional normalizers (any module taking
    ``(x, cond)``), so the same block serves the translation network and the domain adaptors."""

    def __init__(self, fin: int, fout: int, make_norm: Callable[[int], nn.Module], *, spectral: bool,
                 init: InitParams):
        super().__init__()
        fmiddle = min(fin, fout)
        self.learned_shortcut = fin != fout
        self.pad = nn.ReflectionPad2d(1)
        self.conv_0 = conv2d(fin, fmiddle, 3, spectral=spectral, init=init)
        self.conv_1 = conv2d(fmiddle, fout, 3, spectral=spectral, init=init)
        if self.learned_shortcut:
            self.conv_s = conv2d(fin, fout, 1, bias=False, spectral=spectral, init=init)
        self.norm_0 = make_norm(fin)
        self.norm_1 = make_norm(fmiddle)
        if self.learned_shortcut:
            self.norm_s = make_norm(fin)

    def forward(self, x: torch.Tensor, cond) -> torch.Tensor:
        x_s = self.conv_s(self.norm_s(x, cond)) if self.learned_shortcut else x
        dx = self.conv_0(self.pad(F.leaky_relu(self.norm_0(x, cond), 0.2)))
        dx = self.conv_1(self.pad(F.leaky_relu(self.norm_1(dx, cond), 0.2)))
        return x_s + dx


class SelfAttention(nn.Module):
    """The non-local block of SAGAN / BigGAN (``--use_attention``): queries and keys at 1/8
    of the channels, values at 1/2, keys and values max-pooled 2x2, gain gamma from 0."""

    def __init__(self, ch: int, spectral: bool, init: InitParams):
        super().__init__()
        self.ch = ch
        self.theta = conv2d(ch, ch // 8, 1, bias=False, spectral=spectral, init=init)
        self.phi = conv2d(ch, ch // 8, 1, bias=False, spectral=spectral, init=init)
        self.g = conv2d(ch, ch // 2, 1, bias=False, spectral=spectral, init=init)
        self.o = conv2d(ch // 2, ch, 1, bias=False, spectral=spectral, init=init)
        self.gamma = nn.Parameter(torch.tensor(0.0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, _, h, w = x.shape
        theta = self.theta(x).view(b, self.ch // 8, h * w)
        phi = F.max_pool2d(self.phi(x), 2).view(b, self.ch // 8, -1)
        g = F.max_pool2d(self.g(x), 2).view(b, self.ch // 2, -1)
        beta = F.softmax(torch.bmm(theta.transpose(1, 2), phi), dim=-1)  # (B, HW, HW / 4)
        # (beta g^T)^T, not g beta^T: the same products, but beta's gradient then arrives
        # contiguous; the other way softmax's backward first transposes an HW x HW/4 matrix
        # (268 MB at 128x128, 1.5 s on one CPU thread of the translation network's step)
        o = torch.bmm(beta, g.transpose(1, 2)).transpose(1, 2).reshape(b, self.ch // 2, h, w)
        return self.gamma * self.o(o) + x


class ResidualBlock(nn.Module):
    """A residual block of the correspondence network's shared layers: reflection pad,
    3x3 conv, instance norm, PReLU (one slope shared by both activations), twice."""

    def __init__(self, channels: int, init: InitParams):
        super().__init__()
        self.padding1 = nn.ReflectionPad2d(1)
        self.conv1 = conv2d(channels, channels, 3, init=init)
        self.bn1 = nn.InstanceNorm2d(channels)
        self.prelu = nn.PReLU()
        self.padding2 = nn.ReflectionPad2d(1)
        self.conv2 = conv2d(channels, channels, 3, init=init)
        self.bn2 = nn.InstanceNorm2d(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.prelu(self.bn1(self.conv1(self.padding1(x))))
        out = self.bn2(self.conv2(self.padding2(out)))
        return self.prelu(out + x)
