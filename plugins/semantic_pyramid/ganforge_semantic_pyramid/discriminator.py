"""The discriminator: a SAGAN / BigGAN-style residual network with spectral norm,
global sum pooling and a linear score (the paper's adversarial setting, Sec. 3.3)."""

from __future__ import annotations

from typing import ClassVar

import torch
from pydantic import Field
from torch import nn

import ganforge
from ganforge import Condition, DataInfo, DiscriminatorOutput

from .layers import DBlock, sn


class SemanticPyramidDiscriminatorParams(ganforge.Params):
    ndf: int = Field(64, ge=1, description="base width")
    mults: tuple[int, ...] = Field((1, 2, 4, 8, 16, 16), min_length=2,
                                   description="width multipliers per block; every block but the last halves the size")


class SemanticPyramidDiscriminator(ganforge.Discriminator):
    """``forward(image, cond)`` -> one (B, 1) score; unconditional."""

    capabilities = frozenset({"features"})

    Params: ClassVar = SemanticPyramidDiscriminatorParams

    def __init__(self, params: SemanticPyramidDiscriminatorParams, data: DataInfo):
        super().__init__(params, data)
        widths = [data.image_channels] + [params.ndf * m for m in params.mults]
        last = len(params.mults) - 1
        self.blocks = nn.ModuleList(DBlock(widths[i], widths[i + 1], down=i < last, first=i == 0)
                                    for i in range(len(params.mults)))
        self.linear = sn(nn.Linear(widths[-1], 1))

    def forward(self, image: torch.Tensor, cond: Condition | None = None) -> DiscriminatorOutput:
        h, feats = image, []
        for block in self.blocks:
            h = block(h)
            feats.append(h)
        score = self.linear(torch.relu(h).sum((2, 3)))
        return DiscriminatorOutput(scores=[score], features=[feats])
