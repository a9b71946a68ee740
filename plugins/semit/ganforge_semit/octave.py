"""Octave convolutions as SEMIT modifies them (paper Sec. 3.2; OctConv: arXiv:1904.05049).

A feature is a pair (high, low): the high-frequency branch at full resolution, the
low-frequency one at half. Unlike the original OctConv, SEMIT keeps *all* channels in
both branches and splits them by a mask: of C channels, the high branch keeps the first
``int(C * (1 - alpha))`` and the low branch the rest. ``alpha`` is drawn anew each
training iteration (uniform in [0, 1]), so one network learns every split and a user
chooses how much of the image is kept as coarse, low-frequency content at test time.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

Octave = tuple[torch.Tensor, torch.Tensor]
Position = Literal["first", "normal", "last"]


def octave_mask(high: torch.Tensor, low: torch.Tensor, alpha: float) -> Octave:
    """Keep the first ``int(C (1 - alpha))`` channels in ``high`` and the others in ``low``."""
    channels = high.shape[1]
    split = int(channels * (1 - alpha))
    keep_high = (torch.arange(channels, device=high.device) < split).to(high.dtype).view(1, -1, 1, 1)
    return high * keep_high, low * (1 - keep_high)


def _upsample(x: torch.Tensor) -> torch.Tensor:
    return F.interpolate(x, scale_factor=2, mode="nearest")


class OctConv(nn.Module):
    """An octave convolution without bias.

    ``first``: image -> (high, low) (the low branch sees the image average-pooled by 2);
    ``normal``: (high, low) -> (high, low) through the four paths H->H, L->H, H->L, L->L;
    ``last``: (high, low) -> one tensor, high plus the convolved, upsampled low branch.
    """

    def __init__(self, cin: int, cout: int, kernel: int, stride: int, padding: int, position: Position = "normal"):
        super().__init__()
        self.position = position
        conv = lambda: nn.Conv2d(cin, cout, kernel, stride, padding, bias=False)  # noqa: E731
        if position == "normal":
            self.H2H, self.L2H, self.H2L, self.L2L = conv(), conv(), conv(), conv()
        else:
            self.convh, self.convl = conv(), conv()

    def forward(self, x, alpha: float):
        if self.position == "first":
            return octave_mask(self.convh(x), self.convl(F.avg_pool2d(x, 2)), alpha)
        high, low = x
        if self.position == "last":
            return self.convh(high) + self.convl(_upsample(low))
        return octave_mask(self.H2H(high) + _upsample(self.L2H(low)),
                           self.L2L(low) + self.H2L(F.avg_pool2d(high, 2)), alpha)


class OctaveNorm(nn.Module):
    """One normalisation per branch: ``in`` (instance norm without affine, the content
    path) or ``adain`` (affine parameters given per sample by `set_adain`)."""

    def __init__(self, channels: int, kind: Literal["in", "adain"]):
        super().__init__()
        self.channels, self.kind = channels, kind
        self.adain: tuple[torch.Tensor, torch.Tensor] | None = None  # ((B, 2C) high, (B, 2C) low)

    def forward(self, x: Octave) -> Octave:
        out = tuple(F.instance_norm(t, eps=1e-5) for t in x)
        if self.kind == "in":
            return out
        if self.adain is None:
            raise RuntimeError("OctaveNorm('adain'): no AdaIN parameters; the decoder sets them from the class code")
        c = self.channels
        return tuple(t * p[:, c:, None, None] + p[:, :c, None, None] for t, p in zip(out, self.adain))


def octave_act(x: Octave, negative_slope: float = 0.0) -> Octave:
    return tuple(F.leaky_relu(t, negative_slope) if negative_slope else F.relu(t) for t in x)


class OctResBlock(nn.Module):
    """conv3x3 - norm - ReLU - conv3x3 - norm, plus the input, in both branches."""

    def __init__(self, channels: int, norm: Literal["in", "adain"]):
        super().__init__()
        self.conv1 = OctConv(channels, channels, 3, 1, 1)
        self.bn1 = OctaveNorm(channels, norm)
        self.conv2 = OctConv(channels, channels, 3, 1, 1)
        self.bn2 = OctaveNorm(channels, norm)

    def forward(self, x: Octave, alpha: float) -> Octave:
        out = self.bn2(self.conv2(octave_act(self.bn1(self.conv1(x, alpha))), alpha))
        return x[0] + out[0], x[1] + out[1]
