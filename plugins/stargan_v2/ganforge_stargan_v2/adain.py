"""Adaptive instance normalization (Huang and Belongie 2017) as StarGAN v2 uses it:

    AdaIN(x, s) = (1 + gamma(s)) * IN(x) + beta(s)

IN has no affine parameters; gamma and beta come from one linear layer of the style code
s. "1 +" makes a freshly initialised layer close to the plain normalisation (the official
code's form). Registered as the normalizer ``adain`` so any generator with a normalizer
slot can be driven by a global style code.
"""

from __future__ import annotations

from typing import ClassVar

import torch
from pydantic import Field
from torch import nn

import ganforge
from ganforge import Condition, DataInfo

from .layers import linear


class AdaINParams(ganforge.Params):
    style_dim: int = Field(64, ge=1, description="width D of the style code cond['style'] (B, D)")


class AdaIN(ganforge.Normalizer):
    """Adaptive instance normalization: per-channel scale and bias from a global style code."""

    Params: ClassVar = AdaINParams
    requires = frozenset({"style"})

    def __init__(self, params: AdaINParams, data: DataInfo, num_features: int):
        super().__init__(params, data, num_features)
        self.norm = nn.InstanceNorm2d(num_features, affine=False)
        self.fc = linear(params.style_dim, 2 * num_features)

    def modulation(self, style: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(gamma, beta), each (B, C, 1, 1), from the style code (B, style_dim)."""
        if style.dim() != 2 or style.shape[1] != self.params.style_dim:
            raise ValueError(
                f"normalizer 'adain' was built for style codes (B, {self.params.style_dim}) but cond['style'] has "
                f"shape {tuple(style.shape)}; give the mapping network, the style encoder and 'adain' the same style_dim")
        gamma, beta = self.fc(style)[:, :, None, None].chunk(2, dim=1)
        return gamma, beta

    def forward(self, x: torch.Tensor, cond: Condition) -> torch.Tensor:
        gamma, beta = self.modulation(cond["style"].to(x.dtype))
        return (1 + gamma) * self.norm(x) + beta
