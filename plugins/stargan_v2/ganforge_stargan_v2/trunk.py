"""The down-sampling trunk shared by the style encoder E and the discriminator D (paper
appendix Table 7): a 3x3 conv, residual blocks without normalization that halve the
resolution down to 4x4, LReLU, a 4x4 conv to 1x1, LReLU. E and D differ only in what
follows (per-domain linear heads; one 1x1 conv with an output per domain)."""

from __future__ import annotations

import math

import torch
from pydantic import Field
from torch import nn

import ganforge
from ganforge import DataInfo
from ganforge.reuse import Embedding, SharedLayers

from .layers import ResBlock, conv, square_power_of_two


class TrunkParams(ganforge.Params):
    dim_in: int | None = Field(None, ge=1, description="channels of the first conv; default 2^14 / image size "
                               "(64 at 256x256), as in the official code")
    max_conv_dim: int = Field(512, ge=1, description="channel cap of the deepest blocks")


class Trunk(nn.Module):
    """Image (B, C, S, S) -> feature vector (B, out_dim)."""

    def __init__(self, params: TrunkParams, data: DataInfo, component: str):
        super().__init__()
        size = square_power_of_two(data, component, 8)
        dim_in = params.dim_in or 2 ** 14 // size
        self.from_rgb = conv(data.image_channels, dim_in, 3, 1)
        blocks = []
        dim_out = dim_in
        for _ in range(int(math.log2(size)) - 2):
            dim_out = min(dim_in * 2, params.max_conv_dim)
            blocks.append(ResBlock(dim_in, dim_out, downsample=True))
            dim_in = dim_out
        self.blocks = nn.Sequential(*blocks)
        self.to_vector = nn.Sequential(nn.LeakyReLU(0.2), conv(dim_out, dim_out, 4), nn.LeakyReLU(0.2))
        self.out_dim = dim_out

    def reuse_layers(self) -> SharedLayers:
        """``from_rgb`` (stride 1), then each block (stride 2, 4 ...), as forward runs them."""
        stages = [(self.from_rgb, Embedding(self.from_rgb.out_channels, 1))]
        for i, block in enumerate(self.blocks):
            stages.append((block, Embedding(block.conv2.out_channels, 2 ** (i + 1))))
        return SharedLayers(stages)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.to_vector(self.blocks(self.from_rgb(image))).flatten(1)
