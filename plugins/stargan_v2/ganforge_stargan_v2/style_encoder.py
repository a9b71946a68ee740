"""The style encoder E (paper Sec. 2, appendix Table 7): s = E_y(x), a style code of the
reference image x in its domain y, from the shared trunk and one linear head per domain."""

from __future__ import annotations

from typing import ClassVar

import torch
from pydantic import Field
from torch import nn

from ganforge import Condition, DataInfo, Encoder

from .layers import linear, num_domains, select_domain
from .trunk import Trunk, TrunkParams


class StyleEncoderParams(TrunkParams):
    style_dim: int = Field(64, ge=1, description="width of the style code it produces")


class StyleEncoder(Encoder):
    """StarGAN v2 style encoder: the style code of a reference image in its domain."""

    Params: ClassVar = StyleEncoderParams
    requires = frozenset({"domain"})
    provides = frozenset({"style"})

    def __init__(self, params: StyleEncoderParams, data: DataInfo):
        super().__init__(params, data)
        name = "encoder 'stargan_v2_style'"
        self.trunk = Trunk(params, data, name)
        self.heads = nn.ModuleList(linear(self.trunk.out_dim, params.style_dim)
                                   for _ in range(num_domains(data, name)))

    def style(self, image: torch.Tensor, domain: torch.Tensor) -> torch.Tensor:
        """s = E_y(x): (B, C, H, W), (B,) -> (B, style_dim)."""
        h = self.trunk(image)
        return select_domain(torch.stack([head(h) for head in self.heads], dim=1), domain,
                             "encoder 'stargan_v2_style'")

    def forward(self, image: torch.Tensor, cond: Condition) -> dict[str, torch.Tensor]:
        """The style of ``image`` in its domain cond['domain']."""
        return {"style": self.style(image, cond["domain"])}
