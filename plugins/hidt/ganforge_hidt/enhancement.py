"""HiDT's enhancement scheme for high resolution (paper Sec. 3.3, Fig. 4; official
``infer_on_folders.py --enhancement generator``).

A 4S x 4S image is split into 16 sub-images of size S by bilinear downsampling with the
16 pixel shifts (dx, dy) in [0, 4)^2; each is translated at medium resolution S; the
translations are realigned to their shifts and stacked on channels (16 x 3 = 48), and
G_enh (an ESRGAN RRDB network, 5 blocks of 64 channels, two x2 pixel-shuffle stages)
merges them into the 4S x 4S output.
"""

from __future__ import annotations

from typing import Callable, ClassVar

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

import ganforge
from ganforge import Condition, DataInfo

FACTOR = 4  # 4 x 4 shifts, 4x output: fixed by the released enhancer's 48 input channels
SHIFTS = tuple((dx, dy) for dx in range(FACTOR) for dy in range(FACTOR))  # official order: x outer, y inner


def shifted_subimages(image: torch.Tensor, size: int) -> torch.Tensor:
    """(B, 3, H, W) -> (16 B, 3, size, size): the image resized to 4 size + 4, shifted by
    (dx, dy) (the uncovered border black), downsampled to ``size``; shift-major order."""
    big = FACTOR * size + FACTOR
    image = F.interpolate(image, size=(big, big), mode="bilinear", align_corners=False, antialias=True)
    subs = []
    for dx, dy in SHIFTS:
        shifted = F.pad(image[..., dy:, dx:], (0, dx, 0, dy), value=-1.0)
        subs.append(F.interpolate(shifted, size=(size, size), mode="bilinear", align_corners=False, antialias=True))
    return torch.cat(subs)


def realign(translated: torch.Tensor) -> torch.Tensor:
    """(16 B, 3, S, S) translations -> (B, 48, S, S) G_enh input: each upsampled x4 by
    nearest neighbour, placed at its shift on a black (4 S + 4) canvas, resampled to S."""
    n, c, s, _ = translated.shape
    b = n // len(SHIFTS)
    big = FACTOR * s + FACTOR
    planes = []
    for k, (dx, dy) in enumerate(SHIFTS):
        up = F.interpolate(translated[k * b:(k + 1) * b], scale_factor=FACTOR, mode="nearest")
        canvas = up.new_full((b, c, big, big), -1.0)
        canvas[..., dy:dy + FACTOR * s, dx:dx + FACTOR * s] = up
        planes.append(F.interpolate(canvas, size=(s, s), mode="nearest"))
    return torch.cat(planes, dim=1)


def enhance(translate: Callable[[torch.Tensor], torch.Tensor], image: torch.Tensor, enhancer: nn.Module,
            size: int) -> torch.Tensor:
    """The whole scheme: ``translate`` maps (N, 3, size, size) images to their
    translations; returns (B, 3, 4 size, 4 size) in [-1, 1]."""
    stacked = realign(translate(shifted_subimages(image, size)))
    return enhancer(Condition(subimages=stacked)).clamp(-1, 1)


class ResidualDenseBlock(nn.Module):
    """Five densely connected 3x3 convs; the output is scaled by 0.2 and added (ESRGAN)."""

    def __init__(self, nf: int, gc: int):
        super().__init__()
        self.convs = nn.ModuleList(nn.Conv2d(nf + i * gc, gc if i < 4 else nf, 3, 1, 1) for i in range(5))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = [x]
        for i, conv in enumerate(self.convs):
            out = conv(torch.cat(features, dim=1))
            if i < 4:
                features.append(F.leaky_relu(out, 0.2))
        return x + 0.2 * out


class RRDB(nn.Module):
    """Residual in residual dense block: three dense blocks, scaled residual."""

    def __init__(self, nf: int, gc: int):
        super().__init__()
        self.blocks = nn.Sequential(*(ResidualDenseBlock(nf, gc) for _ in range(3)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + 0.2 * self.blocks(x)


class HiDTEnhancerParams(ganforge.Params):
    nf: int = Field(64, ge=1, description="trunk channels (official 64)")
    nb: int = Field(5, ge=1, description="RRDB blocks (official 5)")
    gc: int = Field(32, ge=1, description="growth channels of the dense blocks (official 32)")


class HiDTEnhancer(ganforge.Generator):
    """G_enh: merges 16 shifted translated sub-images into one 4x larger image (ESRGAN's RRDB net, 2 pixel shuffles)."""

    Params: ClassVar = HiDTEnhancerParams
    requires = frozenset({"subimages"})

    def __init__(self, params: HiDTEnhancerParams, data: DataInfo):
        super().__init__(params, data)
        nf, c = params.nf, data.image_channels
        self.conv_first = nn.Conv2d(c * len(SHIFTS), nf, 3, 1, 1)
        self.trunk = nn.Sequential(*(RRDB(nf, params.gc) for _ in range(params.nb)))
        self.trunk_conv = nn.Conv2d(nf, nf, 3, 1, 1)
        self.upconv1 = nn.Conv2d(nf, 4 * nf, 3, 1, 1)
        self.upconv2 = nn.Conv2d(nf, 4 * nf, 3, 1, 1)
        self.hr_conv = nn.Conv2d(nf, nf, 3, 1, 1)
        self.conv_last = nn.Conv2d(nf, c, 3, 1, 1)

    def forward(self, cond: Condition) -> torch.Tensor:
        """(B, 48, S, S) -> (B, 3, 4 S, 4 S) with 4 S = data.resolution (sub-images of
        another size are resized to S first); linear output as released (clamp to show)."""
        h, w = self.data.resolution
        x = self.conv_first(cond.resized((h // FACTOR, w // FACTOR))["subimages"])
        x = x + self.trunk_conv(self.trunk(x))
        for up in (self.upconv1, self.upconv2):
            x = F.leaky_relu(F.pixel_shuffle(up(x), 2), 0.2)
        return self.conv_last(F.leaky_relu(self.hr_conv(x), 0.2))
