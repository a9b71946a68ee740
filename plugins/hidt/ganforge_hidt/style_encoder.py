"""HiDT's style encoder E_s (FUNIT's class-code encoder, no normalization):

    conv7 (dim) -> 2 x conv4/2 doubling -> (n - 2) x conv4/2 -> global average -> conv1 -> s

The style is a 3-d vector for daytime (12 for WikiArt): small on purpose, so that it
can carry the global look (lighting, season) but not the layout.
"""

from __future__ import annotations

from typing import ClassVar

import torch
from pydantic import Field
from torch import nn

import ganforge
from ganforge import Condition, DataInfo

from .layers import ConvBlock, kaiming_init


class HiDTStyleEncoderParams(ganforge.Params):
    dim: int = Field(48, ge=1, description="channels of the first conv (official 48)")
    num_downsamples: int = Field(4, ge=2, description="stride-2 convs (official 4); channels double on the first 2")
    style_dim: int = Field(3, ge=1, description="width of the style code (daytime 3, wikiart 12)")


class HiDTStyleEncoder(ganforge.Encoder):
    """E_s(x): convs with leaky ReLU, global average pooling, a 1x1 conv to the style code."""

    Params: ClassVar = HiDTStyleEncoderParams
    provides = frozenset({"style"})

    def __init__(self, params: HiDTStyleEncoderParams, data: DataInfo):
        super().__init__(params, data)
        dim = params.dim
        layers = [ConvBlock(data.image_channels, dim, 7, 1, 3, activation="lrelu")]
        for i in range(params.num_downsamples):
            out = dim * 2 if i < 2 else dim
            layers.append(ConvBlock(dim, out, 4, 2, 1, activation="lrelu"))
            dim = out
        self.body = nn.Sequential(*layers)
        self.head = nn.Conv2d(dim, params.style_dim, 1)
        kaiming_init(self)

    def forward(self, image: torch.Tensor, cond: Condition | None = None) -> dict[str, torch.Tensor]:
        features = self.body(image).mean(dim=(2, 3), keepdim=True)
        return {"style": self.head(features).flatten(1)}
